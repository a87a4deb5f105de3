#include "oauth/authorize.hpp"

#include <algorithm>

#include "base/base64url.hpp"
#include "base/constant_time.hpp"
#include "oauth/pkce.hpp"
#include "base/random.hpp"

namespace authwasm {
namespace {

Result<std::string> random_token() {  // 256 bits, base64url
  auto bytes = random_bytes(32);
  if (!bytes) return bytes.error();
  return base64url_encode(bytes.value());
}

bool is_reserved_parameter(const std::string& name) {
  for (const char* reserved : {"response_type", "client_id", "redirect_uri", "state", "nonce",
                               "code_challenge", "code_challenge_method", "scope", "prompt", "dpop_jkt"}) {
    if (name == reserved) return true;
  }
  return false;
}

// RFC 6749 §4.1.2.1: error and error_description are printable ASCII (%x20-21 / %x23-5B /
// %x5D-7E). They arrive percent-decoded, so any byte can be there; anything else becomes '?'
// before it reaches a message: a non-UTF-8 byte would make the JSON answer to JS abort.
std::string printable_ascii(const std::string& text) {
  std::string out(text);
  for (auto& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E) c = '?';
  }
  return out;
}

}  // namespace

std::string Transaction::to_json_text() const {
  JsonWriter out;
  out.number("v", 1);
  out.string("state", state);
  out.string("nonce", nonce);
  out.string("verifier", verifier);
  out.string("issuer", issuer);
  out.string("clientId", client_id);
  out.string("redirectUri", redirect_uri);
  out.string("returnTo", return_to);
  return std::move(out).close();
}

Result<Transaction> Transaction::from_json(std::string_view text) {
  auto parsed = parse_json_object(text);
  if (!parsed) return make_error(ErrorCode::state_mismatch, "the stored login transaction is unreadable");
  const Json& j = parsed.value();
  Transaction t;
  const std::string* state = find_string(j, "state");
  const std::string* nonce = find_string(j, "nonce");
  const std::string* verifier = find_string(j, "verifier");
  const std::string* issuer = find_string(j, "issuer");
  const std::string* client_id = find_string(j, "clientId");
  const std::string* redirect_uri = find_string(j, "redirectUri");
  if (get_int(j, "v") != 1 || !state || !nonce || !verifier || !issuer || !client_id || !redirect_uri) {
    return make_error(ErrorCode::state_mismatch, "the stored login transaction is incomplete");
  }
  t.state = *state;
  t.nonce = *nonce;
  t.verifier = *verifier;
  t.issuer = *issuer;
  t.client_id = *client_id;
  t.redirect_uri = *redirect_uri;
  t.return_to = get_string(j, "returnTo").value_or("/");
  return t;
}

Result<AuthorizationStart> begin_authorization(const ClientConfig& config, const LoginOptions& options) {
  if (config.redirect_uri.empty()) {
    return make_error(ErrorCode::configuration, "login() needs the redirectUri option");
  }
  if (config.endpoints.authorization.empty()) {
    return make_error(ErrorCode::configuration, "no authorization endpoint");
  }
  for (const auto& [name, value] : options.extra_params) {
    if (is_reserved_parameter(name)) {
      return make_error(ErrorCode::invalid_argument, "extraParams may not set " + name);
    }
  }
  auto pkce = create_pkce_pair();
  auto state = random_token();
  auto nonce = random_token();
  if (!pkce) return pkce.error();
  if (!state) return state.error();
  if (!nonce) return nonce.error();

  Transaction t;
  t.state = std::move(state).value();
  t.nonce = std::move(nonce).value();
  t.verifier = pkce.value().verifier;
  t.issuer = config.issuer;
  t.client_id = config.client_id;
  t.redirect_uri = config.redirect_uri;
  t.return_to = options.return_to.empty() ? "/" : options.return_to;

  std::string query = form_encode({{"response_type", "code"},
                                   {"client_id", config.client_id},
                                   {"redirect_uri", config.redirect_uri},
                                   {"scope", config.scope},
                                   {"state", t.state},
                                   {"nonce", t.nonce},
                                   {"code_challenge", pkce.value().challenge},
                                   {"code_challenge_method", "S256"}});
  if (!options.prompt.empty()) append_form_field(query, "prompt", options.prompt);
  if (!options.dpop_jkt.empty()) append_form_field(query, "dpop_jkt", options.dpop_jkt);  // RFC 9449 §10
  for (const auto& [name, value] : options.extra_params) append_form_field(query, name, value);
  const char separator = config.endpoints.authorization.find('?') == std::string::npos ? '?' : '&';
  return AuthorizationStart{config.endpoints.authorization + separator + query, std::move(t)};
}

Result<std::string> parse_callback(const ClientConfig& config, std::string_view callback_url,
                                   const Transaction& transaction) {
  // The redirect URI registered for this transaction (RFC 6749 §3.1.2, §10.6): the same URL,
  // and its own query (§3.1.2 allows one; the server keeps it when it adds its parameters)
  // there with the same values. Parameters a provider adds beside code and state are allowed.
  if (url_without_query(callback_url) != url_without_query(transaction.redirect_uri) ||
      transaction.client_id != config.client_id || transaction.issuer != config.issuer) {
    return make_error(ErrorCode::state_mismatch, "this callback does not belong to the pending login");
  }
  auto params = parse_query(callback_url);
  if (!params) return make_error(ErrorCode::invalid_callback, "the callback URL's query is malformed");
  const auto registered = parse_query(transaction.redirect_uri);
  const Params none;
  for (const auto& pair : registered ? registered.value() : none) {
    if (std::find(params.value().begin(), params.value().end(), pair) == params.value().end()) {
      return make_error(ErrorCode::state_mismatch, "this callback lacks the redirect URI's own query");
    }
  }

  const std::string* state = nullptr;
  const std::string* code = nullptr;
  const std::string* iss = nullptr;
  const std::string* error = nullptr;
  const std::string* description = nullptr;
  for (const auto& [name, value] : params.value()) {
    const std::string** slot = name == "state" ? &state : name == "code" ? &code : name == "iss" ? &iss
                             : name == "error" ? &error : name == "error_description" ? &description : nullptr;
    if (!slot) continue;
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    if (*slot) return make_error(ErrorCode::invalid_callback, "the callback repeats the parameter " + name);
    *slot = &value;
  }
  // §10.12: the state binds this response to the request this browser made.
  if (!state || !constant_time_equals(*state, transaction.state)) {
    return make_error(ErrorCode::state_mismatch, "the callback's state does not match the pending login");
  }
  // RFC 9207 §2.4: mix-up defence.
  if (!config.skip_issuer_check) {
    if (iss && *iss != config.issuer) {
      return make_error(ErrorCode::iss_mismatch, "the callback's iss is not the configured issuer");
    }
    if (!iss && config.require_iss_in_callback) {
      return make_error(ErrorCode::iss_mismatch, "the provider promised an iss parameter and sent none");
    }
  }
  if (error) {
    const std::string detail = printable_ascii(description ? *error + ": " + *description : *error);
    if (*error == "login_required" || *error == "interaction_required" || *error == "consent_required") {
      return make_error(ErrorCode::login_required, detail);
    }
    if (*error == "access_denied") return make_error(ErrorCode::access_denied, detail);
    return make_error(ErrorCode::authorization_error, detail);
  }
  if (!code || code->empty()) return make_error(ErrorCode::invalid_callback, "the callback has no code");
  return *code;
}

HttpRequest code_token_request(const ClientConfig& config, const std::string& code,
                               const Transaction& transaction) {
  HttpRequest request;
  request.method = "POST";
  request.url = config.endpoints.token;
  request.timeout_ms = config.timeout_ms;
  request.dpop = config.dpop;
  request.content_type = "application/x-www-form-urlencoded";
  request.body = form_encode({{"grant_type", "authorization_code"},
                              {"code", code},
                              {"redirect_uri", transaction.redirect_uri},
                              {"client_id", config.client_id},
                              {"code_verifier", transaction.verifier}});
  // Cookie mode: the answer sets the HttpOnly refresh cookie, which fetch only keeps with
  // credentials "include" when the server is on another origin.
  request.credentials = config.refresh == RefreshMode::cookie ? "include" : "omit";
  return request;
}

}  // namespace authwasm
