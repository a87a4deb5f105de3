// First-party endpoints under /auth (DESIGN.md §2): register, login, refresh (cookie),
// logout, logout-all, me.
#include "app.hpp"
#include "clock.hpp"
#include "http_util.hpp"
#include "passwords.hpp"

namespace authwasm::server {

void App::send_tokens(httplib::Response& res, const Family& family, const std::string& refresh_token,
                      const std::string& nonce) {
  const int64_t now = now_millis();
  const std::string access_token =
      tokens->access_token(family.sub, family.client_id, family.sid, family.scope, now, family.dpop_jkt);
  if (access_token.empty()) {  // no stored key may sign now (key_ring.hpp): nothing to hand out
    send_error(res, 500, "server_error", "no signing key is active");
    return;
  }
  set_refresh_cookie(res, refresh_token, config.refresh_ttl);
  JsonWriter body;
  body.string("access_token", access_token);
  body.string("token_type", family.dpop_jkt.empty() ? "Bearer" : "DPoP");  // RFC 9449 §5
  body.number("expires_in", config.access_ttl);
  body.string("id_token", tokens->id_token(family.sub, family.client_id, family.sid, family.auth_time, nonce, now));
  body.string("scope", family.scope);
  send_json_text(res, 200, std::move(body).close());
}

namespace {

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-separated.
bool valid_scope(const std::string& scope) {
  if (scope.empty() || scope.size() > 512) return false;
  for (char c : scope) {
    if (!(c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E))) return false;
  }
  return true;
}

// Reads {username, password} (+ optional client_id, scope) from a JSON body.
struct Credentials {
  std::string username, password, client_id, scope;
};

bool read_credentials(App& app, const httplib::Request& req, httplib::Response& res, Credentials& out) {
  if (!is_json_request(req)) {
    send_error(res, 415, "invalid_request", "the body must be application/json");
    return false;
  }
  auto body = parse_json_object(req.body);
  if (!body) {
    send_error(res, 400, "invalid_request", "the body is not a JSON object: " + body.error().message);
    return false;
  }
  auto username = get_string(body.value(), "username");
  auto password = get_string(body.value(), "password");
  if (!username || !password) {
    send_error(res, 400, "invalid_request", "username and password must be strings");
    return false;
  }
  out.username = *username;
  out.password = *password;
  out.client_id = app.config.clients.front().id;
  out.scope = "openid profile";
  if (body.value().contains("client_id")) {
    auto id = get_string(body.value(), "client_id");
    if (!id || !app.config.client(*id)) {
      send_error(res, 400, "invalid_client", "unknown client_id");
      return false;
    }
    out.client_id = *id;
  }
  if (body.value().contains("scope")) {
    auto scope = get_string(body.value(), "scope");
    if (!scope || !valid_scope(*scope)) {
      send_error(res, 400, "invalid_scope", "scope must be space-separated scope tokens (RFC 6749 §3.3)");
      return false;
    }
    out.scope = *scope;
  }
  return true;
}

bool rate_limited(RateLimiter& limiter, const std::string& key, httplib::Response& res) {
  int retry_after = 0;
  if (limiter.allow(key, retry_after)) return false;
  res.set_header("Retry-After", std::to_string(retry_after));
  send_error(res, 429, "too_many_requests", "too many attempts; retry later");
  return true;
}

const char* refresh_failure_description(RefreshStatus status) {
  switch (status) {
    case RefreshStatus::unknown: return "unknown refresh token";
    case RefreshStatus::expired: return "the refresh token expired";
    case RefreshStatus::revoked: return "the session was revoked";
    case RefreshStatus::reuse_detected: return "refresh token reuse detected; the session was revoked";
    case RefreshStatus::dpop_key_mismatch: return "the DPoP proof is not by the session's key; the session was revoked";
    default: return "the refresh token could not be used";
  }
}

}  // namespace

void register_auth_routes(httplib::Server& server, App& app) {
  server.Post("/auth/register", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, false)) return;
    Credentials c;
    if (!read_credentials(app, req, res, c)) return;
    if (!valid_username(c.username)) {
      return send_error(res, 400, "invalid_request", "username must be 1..64 characters of [A-Za-z0-9._@+-]");
    }
    if (!valid_password(c.password)) {
      return send_error(res, 400, "invalid_request", "password must be 8..1024 bytes");
    }
    if (rate_limited(*app.register_limiter, "register|" + App::client_ip(req), res)) return;
    auto hash = hash_password(c.password);
    if (!hash) return send_error(res, 500, "server_error", "could not hash the password");
    User user;
    switch (app.store->create_user(c.username, *hash, now_millis(), user)) {
      case Store::CreateUser::created:
        return send_json(res, 201, Json{{"sub", user.sub}, {"username", user.username}});
      case Store::CreateUser::exists:
        return send_error(res, 409, "username_taken", "that username is already registered");
      default:
        return send_error(res, 500, "server_error", "could not store the user");
    }
  });

  server.Post("/auth/login", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, false)) return;
    Credentials c;
    if (!read_credentials(app, req, res, c)) return;
    std::string jkt;  // before the password: a nonce challenge costs no attempt and no argon2
    if (!app.token_request_dpop(req, res, jkt)) return;
    if (rate_limited(*app.limiter, "login|" + c.username + "|" + App::client_ip(req), res)) return;
    auto user = valid_username(c.username) ? app.store->user_by_name(c.username) : std::nullopt;
    if (!verify_password(c.password, user ? user->password_hash : std::string())) {
      app.stats.login_failures++;
      return send_error(res, 401, "invalid_grant", "wrong username or password");
    }
    const int64_t now_ms = now_millis();
    auto family = app.store->start_family(*user, c.client_id, c.scope, numeric_date(now_ms), now_ms,
                                          millis(app.config.refresh_ttl), jkt);
    if (!family) return send_error(res, 500, "server_error", "could not start a session");
    app.stats.logins++;
    app.send_tokens(res, family->family, family->token, "");
  });

  // Cookie only, no body: rotate the refresh token (RFC 9700 §4.14.2; rules in README).
  server.Post("/auth/refresh", [&app](const httplib::Request& req, httplib::Response& res) {
    app.stats.refresh_requests++;
    if (!check_origin(app.config, req, res, true)) return;
    std::string jkt;  // before the cookie is looked at: a nonce challenge rotates nothing
    if (!app.token_request_dpop(req, res, jkt)) return;
    const std::string token = read_cookie(req, kRefreshCookie);
    if (token.empty()) {
      app.stats.refresh_rejected++;
      return send_error(res, 401, "invalid_grant", "no refresh token cookie");
    }
    RefreshResult r =
        app.store->refresh(token, now_millis(), millis(app.config.refresh_ttl), millis(app.config.grace), jkt);
    switch (r.status) {
      case RefreshStatus::rotated: app.stats.refresh_rotated++; break;
      case RefreshStatus::grace_reissued: app.stats.refresh_grace++; break;
      case RefreshStatus::dpop_proof_missing:  // the session stays: the client may still prove its key
        app.stats.refresh_rejected++;
        app.dpop->count(DpopRejection::missing);
        return send_error(res, 400, "invalid_dpop_proof", "this session is bound to a DPoP key: send a proof");
      case RefreshStatus::timed_out:  // nothing says the token is bad: keep the cookie
        app.stats.refresh_rejected++;
        res.set_header("Retry-After", "1");
        return send_error(res, 503, "temporarily_unavailable", "the store did not complete the refresh in time");
      case RefreshStatus::reuse_detected: app.stats.refresh_reuse++; [[fallthrough]];
      default:
        if (r.status == RefreshStatus::dpop_key_mismatch) app.dpop->count(DpopRejection::key_mismatch);
        app.stats.refresh_rejected++;
        if (r.status == RefreshStatus::failed) {
          return send_error(res, 500, "server_error", "the refresh could not be completed");
        }
        clear_refresh_cookie(res);
        return send_error(res, 401, "invalid_grant", refresh_failure_description(r.status));
    }
    app.send_tokens(res, r.family, r.token, "");
  });

  server.Post("/auth/logout", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, true)) return;
    const std::string token = read_cookie(req, kRefreshCookie);
    if (!token.empty()) app.store->revoke_family_of_token(token, now_millis());
    clear_refresh_cookie(res);
    set_session_cookie(res, "", 0);  // also end the /authorize login session in this browser
    res.set_header("Cache-Control", "no-store");
    res.status = 204;
  });

  server.Post("/auth/logout-all", [&app](const httplib::Request& req, httplib::Response& res) {
    if (!check_origin(app.config, req, res, false)) return;
    AccessClaims claims;
    if (!app.authenticate(req, res, claims)) return;
    const int revoked = app.store->revoke_user(claims.sub, now_millis());
    clear_refresh_cookie(res);
    set_session_cookie(res, "", 0);
    send_json(res, 200, Json{{"revoked_sessions", revoked}});
  });

  server.Get("/auth/me", [&app](const httplib::Request& req, httplib::Response& res) {
    AccessClaims claims;
    if (!app.authenticate(req, res, claims)) return;
    auto user = app.store->user_by_sub(claims.sub);
    if (!user) return send_bearer_error(res, "the token's subject no longer exists");
    send_json(res, 200, Json{{"sub", user->sub}, {"username", user->username}});
  });
}

}  // namespace authwasm::server
