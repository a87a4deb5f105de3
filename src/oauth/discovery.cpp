#include "oauth/discovery.hpp"

#include "session/session.hpp"
#include "base/url.hpp"

namespace authwasm {
namespace {

Error bad_metadata(const std::string& message) { return make_error(ErrorCode::invalid_response, "discovery: " + message); }

// Endpoint metadata member → the `endpoints` option it fills.
struct Mapping {
  const char* metadata;
  const char* option;
  bool required;
};
constexpr Mapping kMappings[] = {
    {"authorization_endpoint", "authorization", true},  // RFC 8414 §2: required with code
    {"token_endpoint", "token", true},
    {"jwks_uri", "jwks", false},                         // Discovery §3: required for OIDC; checked on use
    {"userinfo_endpoint", "userinfo", false},
    {"revocation_endpoint", "revocation", false},        // RFC 8414 §2 / RFC 7009
    {"end_session_endpoint", "endSession", false},       // RP-Initiated Logout 1.0 §2.1
};

Result<bool> optional_bool(const Json& metadata, const char* name) {
  if (!metadata.contains(name)) return false;
  if (!metadata[name].is_boolean()) return bad_metadata(std::string(name) + " must be a boolean");
  return metadata[name].get<bool>();
}

bool array_has_string(const Json& array, const char* value) {
  for (const auto& entry : array) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == value) return true;
  }
  return false;
}

}  // namespace

HttpRequest discovery_request(std::string_view issuer) {
  std::string base(issuer);
  while (!base.empty() && base.back() == '/') base.pop_back();  // Discovery §4.1
  HttpRequest request;
  request.url = base + "/.well-known/openid-configuration";
  request.credentials = "omit";
  return request;
}

Result<Json> apply_discovery(const Json& options, const HttpResponse& response) {
  if (!options.is_object()) return make_error(ErrorCode::configuration, "options must be an object");
  const std::string* issuer = find_string(options, "issuer");
  if (!issuer) return make_error(ErrorCode::configuration, "issuer is required");
  if (response.status >= 500) return make_error(ErrorCode::server_error, "discovery: HTTP " + decimal(response.status));
  if (response.status != 200) return bad_metadata("HTTP " + decimal(response.status));
  if (response.truncated) return bad_metadata("metadata larger than maxResponseBytes");
  if (!is_json_content_type(response.content_type)) return bad_metadata("metadata is not application/json");
  auto parsed = parse_json_object(response.body);
  if (!parsed) return bad_metadata(parsed.error().message);
  const Json& metadata = parsed.value();

  // Discovery §4.3 / RFC 8414 §3.3: the issuer MUST be identical to the one used to fetch it,
  // or the metadata MUST NOT be used (an impersonation defence).
  const std::string* claimed = find_string(metadata, "issuer");
  if (!claimed) return bad_metadata("metadata has no string issuer");
  if (*claimed != *issuer) {
    return make_error(ErrorCode::configuration, "discovery: metadata issuer \"" + *claimed +
                                                    "\" is not the configured issuer \"" + *issuer + "\"");
  }

  if (metadata.contains("code_challenge_methods_supported")) {  // RFC 8414 §2
    const Json& methods = metadata["code_challenge_methods_supported"];
    if (!methods.is_array()) return bad_metadata("code_challenge_methods_supported must be an array");
    if (!array_has_string(methods, "S256")) {
      return make_error(ErrorCode::configuration, "discovery: the provider does not support PKCE S256");
    }
  }
  if (metadata.contains("response_types_supported")) {
    const Json& types = metadata["response_types_supported"];
    if (!types.is_array()) return bad_metadata("response_types_supported must be an array");
    if (!array_has_string(types, "code")) return make_error(ErrorCode::configuration, "discovery: no response_type code");
  }
  auto iss_supported = optional_bool(metadata, "authorization_response_iss_parameter_supported");  // RFC 9207 §3
  if (!iss_supported) return iss_supported.error();

  Json out = options;
  Json endpoints = options.contains("endpoints") && options["endpoints"].is_object() ? options["endpoints"] : Json(Json::value_t::object);
  for (const Mapping& m : kMappings) {
    std::string url;
    if (metadata.contains(m.metadata)) {
      const std::string* text = find_string(metadata, m.metadata);
      if (!text || !is_acceptable_endpoint(*text) || text->find('#') != std::string::npos) {
        return bad_metadata(std::string(m.metadata) + " must be an https URL (http only on loopback)");
      }
      url = *text;
    } else if (m.required) {
      return bad_metadata(std::string("metadata has no ") + m.metadata);
    }
    if (!endpoints.contains(m.option)) endpoints[m.option] = url;  // the app's explicit choice wins
  }
  out["endpoints"] = std::move(endpoints);
  if (iss_supported.value()) out["requireIssInCallback"] = true;
  return out;
}

std::string endpoints_json_text(const ClientConfig& config) {
  const Endpoints& e = config.endpoints;
  JsonWriter out;
  out.string("authorization", e.authorization);
  out.string("token", e.token);
  out.string("userinfo", e.userinfo);
  out.string("revocation", e.revocation);
  out.string("endSession", e.end_session);
  out.string("jwks", e.jwks);
  return std::move(out).close();
}

Result<Json> accept_userinfo(const Session& session, const HttpResponse& response) {
  if (response.status == 401) return make_error(ErrorCode::not_authenticated, "userinfo: HTTP 401");
  if (response.status >= 500) return make_error(ErrorCode::server_error, "userinfo: HTTP " + decimal(response.status));
  if (response.status != 200) return make_error(ErrorCode::invalid_response, "userinfo: HTTP " + decimal(response.status));
  if (response.truncated) return make_error(ErrorCode::invalid_response, "userinfo: larger than maxResponseBytes");
  // Signed or encrypted UserInfo (application/jwt) is not supported: JSON only.
  if (!is_json_content_type(response.content_type)) return make_error(ErrorCode::invalid_response, "userinfo: not application/json");
  auto claims = parse_json_object(response.body);
  if (!claims) return make_error(ErrorCode::invalid_response, "userinfo: " + claims.error().message);
  const std::string* sub = find_string(claims.value(), "sub");
  const std::string* expected = find_string(session.user(), "sub");
  if (!expected) return make_error(ErrorCode::not_authenticated, "userinfo: no logged-in user");
  if (!sub || *sub != *expected) {
    return make_error(ErrorCode::invalid_response, "userinfo: sub does not match the ID token's sub (OIDC Core §5.3.2)");
  }
  return claims;
}

}  // namespace authwasm
