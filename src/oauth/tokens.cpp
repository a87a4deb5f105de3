#include "oauth/tokens.hpp"

#include <cctype>

#include "jose/jwt.hpp"

namespace authwasm {
namespace {

Error bad_response(const char* message) { return make_error(ErrorCode::invalid_response, message); }
Error bad_id_token(const char* message) { return make_error(ErrorCode::invalid_id_token, message); }

bool iequals_ascii(const std::string& a, const char* b) {
  std::size_t i = 0;
  for (; i < a.size() && b[i]; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return i == a.size() && !b[i];
}

// RFC 6750 §2.1 b64token: what may follow "Bearer " in a header without breaking it.
bool is_b64token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("-._~+/=").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool audience_contains(const Json& aud, const std::string& client_id) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == client_id;
  if (!aud.is_array() || aud.empty()) return false;
  for (const auto& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == client_id) return true;
  }
  return false;
}

}  // namespace

Error token_error_from_response(const HttpResponse& response) {
  std::string error, description;
  if (auto body = parse_json_object(response.body)) {
    error = string_or_empty(body.value(), "error");
    description = string_or_empty(body.value(), "error_description");
  }
  std::string message = "HTTP " + decimal(response.status);
  if (!error.empty()) message += " " + error;
  if (!description.empty()) message += ": " + description;
  // RFC 6749 §5.2. Errors that blame the client's configuration, not the user's grant, keep the
  // session and say so; any other 400/401 refuses the credentials or the grant, whatever the
  // server calls it (invalid_grant, invalid_credentials, access_denied, none): the password
  // was wrong, or the refresh token is dead and the session over. 5xx, 429 and anything else
  // are the server's trouble: retry later, the session is kept (js/ adds Retry-After).
  static const char* const client_faults[] = {"invalid_client", "unauthorized_client", "unsupported_grant_type",
                                              "invalid_request", "invalid_scope"};
  for (const char* fault : client_faults) {
    if (error == fault) return make_error(ErrorCode::configuration, message);
  }
  if (error == "login_required" || error == "interaction_required") return make_error(ErrorCode::login_required, message);
  // RFC 9449 §5, §8: our proof was refused (or a nonce was asked for again): not the grant.
  if (error == "invalid_dpop_proof" || error == "use_dpop_nonce") return make_error(ErrorCode::invalid_dpop_proof, message);
  if (response.status == 400 || response.status == 401) return make_error(ErrorCode::invalid_grant, message);
  if (response.status == 403) return make_error(ErrorCode::configuration, message + " (origin or client not allowed)");
  return make_error(ErrorCode::server_error, message);
}

namespace {

// What is wrong with an ID token's claims, or nullptr when nothing is: each refusal is one
// literal here, and becomes an Error at one place (validate_id_token_claims).
const char* id_token_claims_problem(const ClientConfig& config, const Json& header, const Json& claims,
                                    const IdTokenExpectations& expect, long long wall_ms) {
  // OIDC Core §3.1.3.7 steps 2-10 and 11 (nonce); JWT numeric dates are seconds.
  const std::string& alg = string_or_empty(header, "alg");
  if (alg.empty() || iequals_ascii(alg, "none")) return "ID token alg \"none\" is refused";
  if (!string_equals(claims, "iss", config.issuer)) return "ID token iss is not the issuer";
  const std::string* sub = find_string(claims, "sub");
  if (!sub || sub->empty()) return "ID token has no sub";
  if (!claims.contains("aud") || !audience_contains(claims["aud"], config.client_id)) {
    return "ID token aud does not contain this client_id";
  }
  const std::string* azp = find_string(claims, "azp");
  if (claims.contains("azp") && !string_equals(claims, "azp", config.client_id)) return "ID token azp is not this client_id";
  if (claims["aud"].is_array() && claims["aud"].size() > 1 && !azp) {
    return "ID token with several audiences needs azp";
  }
  const auto exp = get_int(claims, "exp");
  const auto iat = get_int(claims, "iat");
  if (!exp) return "ID token has no numeric exp";
  if (!iat) return "ID token has no numeric iat";
  if (*exp * 1000 + config.leeway_ms <= wall_ms) return "ID token has expired";
  if (*iat * 1000 - config.leeway_ms > wall_ms) return "ID token iat is in the future";
  if (!expect.nonce.empty() && !string_equals(claims, "nonce", expect.nonce)) {
    return "ID token nonce does not match the login request";
  }
  if (expect.previous && expect.previous->is_object()) {  // §12.2: the same user, issuer and client
    const Json& prev = *expect.previous;
    // claims' sub and iss are strings here (checked above)
    if (!string_equals(prev, "sub", *sub)) return "refreshed ID token has another sub";
    if (!string_equals(prev, "iss", config.issuer)) return "refreshed ID token has another iss";
    // aud is a string or an array of strings (RFC 7519 §4.1.3): equal values have equal text.
    if (!prev.contains("aud") || dump_json(claims["aud"]) != dump_json(prev["aud"])) {
      return "refreshed ID token has another aud";
    }
    if (!expect.original_nonce.empty() && claims.contains("nonce") &&
        !string_equals(claims, "nonce", expect.original_nonce)) {
      return "refreshed ID token has another nonce";
    }
  }
  return nullptr;
}

}  // namespace

Result<Json> validate_id_token_claims(const ClientConfig& config, const Json& header, const Json& claims,
                                      const IdTokenExpectations& expect, long long wall_ms) {
  if (const char* problem = id_token_claims_problem(config, header, claims, expect, wall_ms)) return bad_id_token(problem);
  return claims;
}

Result<TokenSet> parse_token_response(const ClientConfig& config, const HttpResponse& response,
                                      const IdTokenExpectations& expect, const Clock& clock) {
  if (response.status != 200) return token_error_from_response(response);
  if (response.truncated || response.body.size() > config.max_response_bytes) {
    return bad_response("token response larger than maxResponseBytes");
  }
  if (!is_json_content_type(response.content_type)) return bad_response("token response is not application/json");
  auto parsed = parse_json_object(response.body);
  if (!parsed) return make_error(ErrorCode::invalid_response, "token response: " + parsed.error().message);
  const Json& body = parsed.value();

  TokenSet tokens;
  const std::string* access_token = find_string(body, "access_token");
  if (!access_token || !is_b64token(*access_token)) return bad_response("token response has no usable access_token");
  tokens.access_token = *access_token;
  const std::string* token_type = find_string(body, "token_type");  // RFC 6749 §7.1: case-insensitive
  // RFC 9449 §5: a DPoP client accepts only DPoP tokens; a Bearer answer is a downgrade.
  if (!token_type || !iequals_ascii(*token_type, config.dpop ? "dpop" : "bearer")) {
    return bad_response(config.dpop ? "token_type is not DPoP (DPoP was asked: no silent downgrade to Bearer)"
                                    : "token_type is not Bearer");
  }
  auto expires_in = get_number(body, "expires_in");
  if (!expires_in || *expires_in <= 0 || *expires_in > 366.0 * 24 * 3600) {
    return bad_response("expires_in must be a positive number of seconds");
  }
  tokens.lifetime_ms = static_cast<long long>(*expires_in * 1000);
  tokens.expires_at_mono_ms = clock.mono_ms + tokens.lifetime_ms;
  if (body.contains("scope")) {
    const std::string* scope = find_string(body, "scope");
    if (!scope) return bad_response("scope must be a string");
    tokens.scope = *scope;
  }
  if (body.contains("refresh_token")) {
    const std::string* refresh_token = find_string(body, "refresh_token");
    if (!refresh_token || refresh_token->empty()) return bad_response("refresh_token must be a string");
    // Cookie mode never keeps a refresh token in JS-reachable memory, even if one is sent.
    if (config.refresh == RefreshMode::memory) tokens.refresh_token = *refresh_token;
  }
  if (body.contains("id_token")) {
    const std::string* id_token = find_string(body, "id_token");
    if (!id_token) return bad_response("id_token must be a string");
    auto jwt = decode_jwt(*id_token);
    if (!jwt) return make_error(ErrorCode::invalid_id_token, jwt.error().message);
    auto claims = validate_id_token_claims(config, jwt.value().header, jwt.value().claims, expect, clock.wall_ms);
    if (!claims) return claims.error();
    tokens.id_token = *id_token;
    tokens.id_claims = std::move(claims).value();
  } else if (!expect.nonce.empty() && config.scope.find("openid") != std::string::npos &&
             config.refresh == RefreshMode::memory) {
    return bad_id_token("an openid login answered without an id_token");  // OIDC Core §3.1.3.3
  }
  return tokens;
}

}  // namespace authwasm
