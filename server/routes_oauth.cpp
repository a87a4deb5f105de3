// The OAuth 2.0 / OpenID Connect side: authorization code flow with PKCE (RFC 6749 §4.1,
// RFC 7636, RFC 9207), discovery (OIDC Discovery 1.0 §3 / RFC 8414) and JWKS (RFC 7517 §5).
#include "app.hpp"
#include "clock.hpp"
#include "http_util.hpp"
#include "passwords.hpp"
#include "oauth/pkce.hpp"

namespace authwasm::server {
namespace {

// Printable ASCII only, bounded: state and nonce are echoed into URLs, HTML and JSON.
bool printable(const std::string& s, size_t max) {
  if (s.size() > max) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool valid_scope(const std::string& scope) {
  if (scope.empty() || scope.size() > 512) return false;
  for (char c : scope) {
    if (!(c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E))) return false;
  }
  return true;
}

struct AuthorizeRequest {
  const Client* client = nullptr;
  std::string redirect_uri, scope, state, nonce, code_challenge, prompt;
  std::string dpop_jkt;  // RFC 9449 §10: the exchange must prove the key of this thumbprint
};

// An RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding (43 characters).
bool is_thumbprint(const std::string& s) { return looks_like_secret(s); }

enum class Verdict { ok, fatal, redirect };  // fatal: cannot redirect (RFC 6749 §4.1.2.1)

struct AuthorizeError {
  std::string error, description;
};

// Validates the authorization request; on `fatal` the response is already written.
Verdict parse_authorize(App& app, const httplib::Request& req, httplib::Response& res, AuthorizeRequest& out,
                        AuthorizeError& err) {
  bool dup = false;
  auto client_id = single_param(req, "client_id", dup);
  auto redirect_uri = single_param(req, "redirect_uri", dup);
  const Client* client = client_id ? app.config.client(*client_id) : nullptr;
  if (!client) {
    send_error(res, 400, "invalid_client", "unknown or missing client_id");
    return Verdict::fatal;
  }
  // Exact string comparison against the registered list (RFC 9700 §2.1; OAuth 2.1 §4.1.1).
  bool registered = false;
  for (const auto& uri : client->redirect_uris) registered = registered || (redirect_uri && *redirect_uri == uri);
  if (!registered || dup) {
    send_error(res, 400, "invalid_request", "redirect_uri is missing or not registered for this client");
    return Verdict::fatal;
  }
  out.client = client;
  out.redirect_uri = *redirect_uri;
  // From here errors go back to the client by redirect (RFC 6749 §4.1.2.1).
  auto response_type = single_param(req, "response_type", dup);
  auto method = single_param(req, "code_challenge_method", dup);
  out.state = single_param(req, "state", dup).value_or("");
  out.scope = single_param(req, "scope", dup).value_or("openid");
  out.nonce = single_param(req, "nonce", dup).value_or("");
  out.code_challenge = single_param(req, "code_challenge", dup).value_or("");
  out.prompt = single_param(req, "prompt", dup).value_or("");
  // A server without DPoP ignores dpop_jkt, as any unknown parameter (RFC 6749 §3.1).
  if (app.config.dpop != DpopMode::off) out.dpop_jkt = single_param(req, "dpop_jkt", dup).value_or("");
  if (!printable(out.state, 1024)) out.state.clear();
  if (dup) {
    err = {"invalid_request", "a parameter appears more than once (RFC 6749 §3.1)"};
  } else if (response_type != std::optional<std::string>("code")) {
    err = {"unsupported_response_type", "only response_type=code is supported"};
  } else if (method != std::optional<std::string>("S256")) {
    err = {"invalid_request", "code_challenge_method=S256 is required (RFC 7636 §4.3)"};
  } else if (out.code_challenge.size() != 43 || !is_valid_pkce_verifier(out.code_challenge)) {
    err = {"invalid_request", "code_challenge must be the 43-character S256 challenge (RFC 7636 §4.2)"};
  } else if (!valid_scope(out.scope)) {
    err = {"invalid_scope", "scope is not a valid scope list"};
  } else if (!printable(out.nonce, 255)) {
    err = {"invalid_request", "nonce must be printable ASCII, at most 255 characters"};
  } else if (!out.prompt.empty() && out.prompt != "none" && out.prompt != "login") {
    err = {"invalid_request", "prompt must be none or login"};
  } else if (!out.dpop_jkt.empty() && !is_thumbprint(out.dpop_jkt)) {
    err = {"invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 9449 §10)"};
  } else {
    return Verdict::ok;
  }
  return Verdict::redirect;
}

std::string with_query(const std::string& uri, const std::string& query) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

// 302 to redirect_uri with error, state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2).
void redirect_error(App& app, httplib::Response& res, const AuthorizeRequest& ar, const AuthorizeError& err) {
  std::string query = "error=" + url_encode(err.error) + "&error_description=" + url_encode(err.description);
  if (!ar.state.empty()) query += "&state=" + url_encode(ar.state);
  query += "&iss=" + url_encode(app.config.issuer);
  res.set_header("Cache-Control", "no-store");
  res.set_redirect(with_query(ar.redirect_uri, query), 302);
}

// Issues a code bound to client, redirect_uri and challenge; 302 back (RFC 6749 §4.1.2).
void redirect_with_code(App& app, httplib::Response& res, const AuthorizeRequest& ar, const User& user,
                        int64_t auth_time) {
  AuthCode code{ar.client->id, ar.redirect_uri, ar.code_challenge, ar.scope, ar.nonce, user.id, auth_time,
                ar.dpop_jkt};
  auto issued = app.store->put_code(code, now_millis(), millis(app.config.code_ttl));
  if (!issued) return redirect_error(app, res, ar, {"server_error", "could not issue a code"});
  std::string query = "code=" + url_encode(*issued);
  if (!ar.state.empty()) query += "&state=" + url_encode(ar.state);
  query += "&iss=" + url_encode(app.config.issuer);
  res.set_header("Cache-Control", "no-store");
  res.set_redirect(with_query(ar.redirect_uri, query), 302);
}

void send_login_page(httplib::Response& res, const httplib::Request& req, int status, const std::string& error) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  // same-origin, not no-referrer: with no-referrer Chromium posts the form with `Origin: null`,
  // which the Origin allow-list of POST /authorize (login CSRF defence) must refuse.
  res.set_header("Referrer-Policy", "same-origin");
  res.set_content(render_login_page(req, error), "text/html; charset=utf-8");
}

}  // namespace

void register_oauth_routes(httplib::Server& server, App& app) {
  server.Get("/authorize", [&app](const httplib::Request& req, httplib::Response& res) {
    AuthorizeRequest ar;
    AuthorizeError err;
    const Verdict v = parse_authorize(app, req, res, ar, err);
    if (v == Verdict::fatal) return;
    if (v == Verdict::redirect) return redirect_error(app, res, ar, err);
    int64_t auth_time = 0;
    const std::string session = read_cookie(req, kSessionCookie);
    auto user = session.empty() ? std::nullopt : app.store->login_session_user(session, now_millis(), auth_time);
    if (user && ar.prompt != "login") return redirect_with_code(app, res, ar, *user, auth_time);
    if (ar.prompt == "none") {  // OIDC Core §3.1.2.6
      return redirect_error(app, res, ar, {"login_required", "no login session"});
    }
    send_login_page(res, req, 200, "");
  });

  server.Post("/authorize", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, false)) return;
    AuthorizeRequest ar;
    AuthorizeError err;
    const Verdict v = parse_authorize(app, req, res, ar, err);
    if (v == Verdict::fatal) return;
    if (v == Verdict::redirect) return redirect_error(app, res, ar, err);
    bool dup = false;
    const std::string username = single_param(req, "username", dup).value_or("");
    const std::string password = single_param(req, "password", dup).value_or("");
    int retry_after = 0;
    if (!app.limiter->allow("login|" + username + "|" + App::client_ip(req), retry_after)) {
      res.set_header("Retry-After", std::to_string(retry_after));
      return send_login_page(res, req, 429, "Too many attempts. Try again in a minute.");
    }
    auto user = valid_username(username) ? app.store->user_by_name(username) : std::nullopt;
    if (!verify_password(password, user ? user->password_hash : std::string())) {
      app.stats.login_failures++;
      return send_login_page(res, req, 401, "Wrong username or password.");
    }
    const int64_t now_ms = now_millis();
    const int64_t auth_time = numeric_date(now_ms);
    auto session = app.store->create_login_session(user->id, auth_time, now_ms, millis(app.config.session_ttl));
    if (session) set_session_cookie(res, *session, app.config.session_ttl);
    app.stats.logins++;
    redirect_with_code(app, res, ar, *user, auth_time);
  });

  // RFC 6749 §4.1.3 + RFC 7636 §4.5: code + code_verifier for tokens; public clients only.
  server.Post("/token", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, false)) return;
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
      return send_error(res, 400, "invalid_request", "the body must be application/x-www-form-urlencoded");
    }
    bool dup = false;
    auto grant_type = single_param(req, "grant_type", dup);
    auto code = single_param(req, "code", dup);
    auto redirect_uri = single_param(req, "redirect_uri", dup);
    auto client_id = single_param(req, "client_id", dup);
    auto verifier = single_param(req, "code_verifier", dup);
    if (dup) return send_error(res, 400, "invalid_request", "a parameter appears more than once (RFC 6749 §3.1)");
    if (grant_type != std::optional<std::string>("authorization_code")) {
      return send_error(res, 400, "unsupported_grant_type", "only grant_type=authorization_code is supported");
    }
    if (!code || !redirect_uri || !client_id || !verifier) {
      return send_error(res, 400, "invalid_request", "code, redirect_uri, client_id and code_verifier are required");
    }
    if (!app.config.client(*client_id)) return send_error(res, 401, "invalid_client", "unknown client_id");
    // The proof first: a use_dpop_nonce challenge must not spend the code.
    std::string jkt;
    if (!app.token_request_dpop(req, res, jkt)) return;
    AuthCode stored;
    const int64_t now_ms = now_millis();
    switch (app.store->take_code(*code, now_ms, stored)) {
      case CodeStatus::ok: break;
      case CodeStatus::reused:
        return send_error(res, 400, "invalid_grant", "the authorization code was already used");
      case CodeStatus::expired: return send_error(res, 400, "invalid_grant", "the authorization code expired");
      case CodeStatus::failed: return send_error(res, 500, "server_error", "could not redeem the code");
      default: return send_error(res, 400, "invalid_grant", "unknown authorization code");
    }
    // The code is spent now, whatever follows: a wrong verifier cannot be retried.
    if (stored.client_id != *client_id) {
      return send_error(res, 400, "invalid_grant", "the code was issued to another client");
    }
    if (stored.redirect_uri != *redirect_uri) {  // RFC 6749 §4.1.3: identical redirect_uri
      return send_error(res, 400, "invalid_grant", "redirect_uri does not match the authorization request");
    }
    if (!pkce_verify(*verifier, stored.code_challenge)) {  // RFC 7636 §4.6
      return send_error(res, 400, "invalid_grant", "code_verifier does not match the code_challenge");
    }
    if (!stored.dpop_jkt.empty() && jkt != stored.dpop_jkt) {  // RFC 9449 §10
      app.dpop->count(jkt.empty() ? DpopRejection::missing : DpopRejection::key_mismatch);
      return send_error(res, 400, "invalid_grant", "the code is bound to another DPoP key (dpop_jkt)");
    }
    auto user = app.store->user_by_id(stored.user_id);
    if (!user) return send_error(res, 400, "invalid_grant", "the user no longer exists");
    auto family = app.store->start_family(*user, stored.client_id, stored.scope, stored.auth_time, now_ms,
                                          millis(app.config.refresh_ttl), jkt);
    if (!family) return send_error(res, 500, "server_error", "could not start a session");
    app.store->bind_code_family(*code, family->family.sid);
    app.stats.token_exchanges++;
    app.send_tokens(res, family->family, family->token, stored.nonce);
  });

  server.Get("/.well-known/openid-configuration", [&app](const httplib::Request&, httplib::Response& res) {
    const std::string& iss = app.config.issuer;
    Json doc = {
        {"issuer", iss},
        {"authorization_endpoint", iss + "/authorize"},
        {"token_endpoint", iss + "/token"},
        {"jwks_uri", iss + "/.well-known/jwks.json"},
        {"response_types_supported", Json::array({"code"})},
        {"response_modes_supported", Json::array({"query"})},
        {"grant_types_supported", Json::array({"authorization_code"})},
        {"subject_types_supported", Json::array({"public"})},
        {"id_token_signing_alg_values_supported", Json::array({"ES256"})},
        {"token_endpoint_auth_methods_supported", Json::array({"none"})},
        {"code_challenge_methods_supported", Json::array({"S256"})},
        {"scopes_supported", Json::array({"openid", "profile"})},
        {"claims_supported", Json::array({"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "sid"})},
        {"prompt_values_supported", Json::array({"none", "login"})},
        {"authorization_response_iss_parameter_supported", true},
        // The first-party cookie endpoints (DESIGN.md §2), under names of our own.
        {"authwasm_login_endpoint", iss + "/auth/login"},
        {"authwasm_register_endpoint", iss + "/auth/register"},
        {"authwasm_refresh_endpoint", iss + "/auth/refresh"},
        {"authwasm_logout_endpoint", iss + "/auth/logout"},
        {"authwasm_logout_all_endpoint", iss + "/auth/logout-all"},
        {"authwasm_me_endpoint", iss + "/auth/me"},
    };
    if (app.config.dpop != DpopMode::off) doc["dpop_signing_alg_values_supported"] = Json::array({"ES256"});  // RFC 9449 §5.1
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_content(dump_json(doc), "application/json");
  });

  server.Get("/.well-known/jwks.json", [&app](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, app.tokens->jwks(now_millis()));
  });
}

}  // namespace authwasm::server
