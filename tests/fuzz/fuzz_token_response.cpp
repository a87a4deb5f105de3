// Token endpoint answers (RFC 6749 §5.1 success, §5.2 error; OIDC Core §3.1.3.3/§3.1.3.7 for
// the ID token) with a fixed client configuration; the body is the input. The same body is
// tried as a 200 application/json answer (cookie and memory mode), as a 400 and a 401, and fed
// to a logged-in Session: a refused answer must change nothing (DESIGN.md §5).
#include <cctype>
#include <cstdint>
#include <string>

#include "oauth/client_config.hpp"
#include "fuzz_support.hpp"
#include "session/session.hpp"
#include "oauth/tokens.hpp"

namespace {

using namespace authwasm;

const char* const kIssuer = "https://issuer.example";
const Clock kClock{1'700'000'000'000, 5'000};  // wall: 2023-11-14; mono: 5 s after page load

ClientConfig make_config(const char* refresh) {
  auto parsed = parse_client_config(Json{{"issuer", kIssuer}, {"clientId", "spa"}, {"refresh", refresh},
                                         {"redirectUri", "https://app.example/cb"}});
  FUZZ_CHECK(parsed.ok(), "fixed config is valid");
  return parsed.value();
}

bool lower_equals(const std::string& a, const char* b) {
  std::string l;
  for (char c : a) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == b;
}

void check_success(const ClientConfig& config, const std::string& body, const IdTokenExpectations& expect,
                   const TokenSet& t) {
  auto parsed = parse_json_object(body);
  FUZZ_CHECK(parsed.ok(), "accepted bodies are strict JSON objects");
  const Json& j = parsed.value();
  FUZZ_CHECK(get_string(j, "access_token") == t.access_token && !t.access_token.empty(), "access_token as sent");
  for (char c : t.access_token) {
    FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~+/=").find(c) != std::string_view::npos,
               "the access token is a b64token (RFC 6750 §2.1): safe in an Authorization header");
  }
  auto type = get_string(j, "token_type");
  FUZZ_CHECK(type && lower_equals(*type, "bearer"), "token_type Bearer, any case (RFC 6749 §7.1)");
  auto expires_in = get_number(j, "expires_in");
  FUZZ_CHECK(expires_in && *expires_in > 0 && *expires_in <= 366.0 * 24 * 3600, "expires_in positive and bounded");
  FUZZ_CHECK(t.expires_at_mono_ms > kClock.mono_ms, "expiry is after the answer arrived");
  FUZZ_CHECK(config.refresh == RefreshMode::memory || t.refresh_token.empty(), "cookie mode keeps no refresh token");
  if (j.contains("id_token")) {
    FUZZ_CHECK(t.id_claims.is_object(), "an ID token always has validated claims");
    FUZZ_CHECK(get_string(t.id_claims, "iss") == std::string(kIssuer), "ID token iss is the issuer");
    if (!expect.nonce.empty()) FUZZ_CHECK(get_string(t.id_claims, "nonce") == expect.nonce, "nonce matches");
    auto exp = get_int(t.id_claims, "exp");
    FUZZ_CHECK(exp && *exp * 1000 + config.leeway_ms > kClock.wall_ms, "ID token not expired");
  } else {
    FUZZ_CHECK(t.id_claims.is_null(), "no ID token, no claims");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ClientConfig cookie = make_config("cookie");
  static const ClientConfig memory = make_config("memory");
  const std::string body(reinterpret_cast<const char*>(data), size);

  IdTokenExpectations login;
  login.nonce = "n-0S6_WzA2Mj";
  for (const ClientConfig* config : {&cookie, &memory}) {
    const IdTokenExpectations none;  // a refresh or password login: no nonce
    const IdTokenExpectations* expectations[] = {&login, &none};
    for (const IdTokenExpectations* expect : expectations) {
      const IdTokenExpectations& e = *expect;
      auto tokens = parse_token_response(*config, HttpResponse{200, "application/json", "", body, false, ""}, e, kClock);
      if (tokens) {
        check_success(*config, body, e, tokens.value());
      } else {
        const ErrorCode c = tokens.error().code;
        FUZZ_CHECK(c == ErrorCode::invalid_response || c == ErrorCode::invalid_id_token,
                   "a bad 200 answer is invalid_response or invalid_id_token");
        fuzz::check_error(tokens.error());
      }
    }
    // The same bytes with the wrong Content-Type are never accepted.
    auto text = parse_token_response(*config, HttpResponse{200, "text/html", "", body, false, ""}, login, kClock);
    FUZZ_CHECK(!text && text.error().code == ErrorCode::invalid_response, "wrong Content-Type is refused");
    auto cut = parse_token_response(*config, HttpResponse{200, "application/json", "", body, true, ""}, login, kClock);
    FUZZ_CHECK(!cut && cut.error().code == ErrorCode::invalid_response, "a truncated body is refused");
  }

  // Error answers (RFC 6749 §5.2): a 400/401 refuses the grant unless its error blames the
  // client (configuration) or asks for a login; 5xx never ends a session.
  for (int status : {400, 401, 403, 429, 503}) {
    const Error e = token_error_from_response(HttpResponse{status, "application/json", "", body, false, ""});
    fuzz::check_error(e);
    auto parsed = parse_json_object(body);
    const std::string error = parsed ? get_string(parsed.value(), "error").value_or("") : "";
    const bool blames_client = error == "invalid_client" || error == "unauthorized_client" ||
                               error == "unsupported_grant_type" || error == "invalid_request" || error == "invalid_scope";
    const bool asks_login = error == "login_required" || error == "interaction_required" ||
                            error == "invalid_dpop_proof" || error == "use_dpop_nonce";
    FUZZ_CHECK((e.code == ErrorCode::invalid_grant) == ((status == 400 || status == 401) && !blames_client && !asks_login),
               "invalid_grant exactly for a definite refusal");
    FUZZ_CHECK(e.code == ErrorCode::invalid_grant || e.code == ErrorCode::login_required ||
               e.code == ErrorCode::configuration || e.code == ErrorCode::server_error ||
               e.code == ErrorCode::invalid_dpop_proof, "error answer codes");
  }

  // A logged-in session fed the body as a refresh answer: on refusal nothing changes.
  Session session(memory);
  const std::string good =
      R"({"access_token":"a.b.c","token_type":"Bearer","expires_in":60,"refresh_token":"r1"})";
  FUZZ_CHECK(session.accept_token_response(HttpResponse{200, "application/json", "", good, false, ""}, {}, kClock).ok(),
             "the fixed login answer is accepted");
  const unsigned generation = session.generation();
  const auto before = session.authorization(kClock.mono_ms);
  FUZZ_CHECK(session.begin_refresh().kind == RefreshStep::start, "refresh starts");
  auto change = session.finish_refresh(HttpResponse{200, "application/json", "", body, false, ""}, kClock);
  FUZZ_CHECK(!session.refresh_in_flight(), "the flight always ends");
  if (change) {
    FUZZ_CHECK(!change.value().ended && session.generation() == generation + 1, "a new token, a new generation");
  } else {
    FUZZ_CHECK(session.generation() == generation, "a refused answer keeps the generation");
    FUZZ_CHECK(session.authorization(kClock.mono_ms).value() == before.value(), "and the token");
  }
  return 0;
}
