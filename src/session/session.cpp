#include "session/session.hpp"

#include <algorithm>

#include "jose/jwt.hpp"
#include "base/url.hpp"

namespace authwasm {
namespace {

HttpRequest post(const ClientConfig& config, const std::string& url, const char* credentials) {
  HttpRequest request;
  request.timeout_ms = config.timeout_ms;
  // RFC 9449 §5: every token request of a DPoP client carries a proof (not logout/revocation).
  request.dpop = config.dpop && (url == config.endpoints.token || url == config.endpoints.refresh ||
                                 url == config.endpoints.login);
  request.method = "POST";
  request.url = url;
  request.credentials = credentials;
  return request;
}

// The user is the ID token's claims; without an ID token, the access token's claims when it
// is a JWT (the reference server's first-party login).
Json user_from(const TokenSet& tokens) {
  if (tokens.id_claims.is_object()) return tokens.id_claims;
  if (auto jwt = decode_jwt(tokens.access_token); jwt && find_string(jwt.value().claims, "sub")) {
    return jwt.value().claims;
  }
  return Json(Json::value_t::object);
}

}  // namespace

// The leeway refreshes a token before the server would refuse it (clock skew, time in
// flight), but never more than half of the token's own lifetime: a token that lives 2 s is
// used for 1 s, not declared expired on arrival (README "Short-lived tokens").
Freshness Session::freshness(long long mono_ms) const {
  if (!tokens_) return Freshness::none;
  const long long leeway = std::min(config_.leeway_ms, tokens_->lifetime_ms / 2);
  return mono_ms + leeway < tokens_->expires_at_mono_ms ? Freshness::fresh : Freshness::expired;
}

Result<Json> Session::accept_token_response(const HttpResponse& response, const IdTokenExpectations& expect,
                                            const Clock& clock) {
  auto tokens = parse_token_response(config_, response, expect, clock);
  if (!tokens) return tokens.error();
  TokenSet& fresh = tokens.value();
  if (!fresh.refresh_token.empty()) refresh_token_ = fresh.refresh_token;
  if (!expect.nonce.empty()) login_nonce_ = expect.nonce;  // a code exchange: a new login
  if (fresh.id_claims.is_null() && tokens_ && tokens_->id_claims.is_object()) {
    fresh.id_claims = tokens_->id_claims;  // a refresh may omit the ID token: keep the user
  }
  user_ = user_from(fresh);
  tokens_ = std::move(fresh);
  ++generation_;
  return user_;
}

RefreshStep Session::begin_refresh() {
  RefreshStep step;
  if (refresh_in_flight_) {
    step.kind = RefreshStep::join;
    return step;
  }
  if (config_.refresh == RefreshMode::cookie) {
    step.request = post(config_, config_.endpoints.refresh, "include");  // the HttpOnly cookie rides along
  } else {
    if (refresh_token_.empty()) return step;  // unavailable: nothing to refresh with
    step.request = post(config_, config_.endpoints.token, "omit");
    step.request.content_type = "application/x-www-form-urlencoded";
    step.request.body = form_encode({{"grant_type", "refresh_token"},
                                     {"refresh_token", refresh_token_},
                                     {"client_id", config_.client_id}});
  }
  refresh_in_flight_ = true;
  step.kind = RefreshStep::start;
  return step;
}

Result<SessionChange> Session::finish_refresh(const HttpResponse& response, const Clock& clock) {
  refresh_in_flight_ = false;
  IdTokenExpectations expect;
  if (tokens_ && tokens_->id_claims.is_object()) expect.previous = &tokens_->id_claims;
  expect.original_nonce = login_nonce_;
  auto user = accept_token_response(response, expect, clock);
  if (!user) {
    if (user.error().code == ErrorCode::invalid_grant) {
      wipe();
      return SessionChange{true, Json()};
    }
    return user.error();
  }
  ++refresh_count_;
  return SessionChange{false, std::move(user).value()};
}

Result<std::string> Session::authorization(long long mono_ms) const {
  if (freshness(mono_ms) != Freshness::fresh) {
    return make_error(ErrorCode::not_authenticated, tokens_ ? "the access token has expired" : "not logged in");
  }
  return (config_.dpop ? "DPoP " : "Bearer ") + tokens_->access_token;  // RFC 9449 §7.1
}

ApiAction Session::classify_api_response(int attempt, bool nonce_retried, unsigned sent_generation, int status,
                                         const std::string& www_authenticate) const {
  if (status != 401) return ApiAction::deliver;
  if (config_.dpop && !nonce_retried && says_use_dpop_nonce(www_authenticate)) return ApiAction::nonce_retry;
  if (attempt != 1 || !says_invalid_token(www_authenticate)) return ApiAction::deliver;
  if (sent_generation != generation_ && tokens_) return ApiAction::retry;
  return ApiAction::refresh_and_retry;
}

HttpRequest Session::password_login_request(const std::string& username, const std::string& password) const {
  HttpRequest request = post(config_, config_.endpoints.login, "include");
  request.content_type = "application/json";
  JsonWriter body;
  body.string("username", username);
  body.string("password", password);
  request.body = std::move(body).close();
  return request;
}

std::string Session::logout_requests_json(bool everywhere, long long mono_ms) const {
  std::string requests = "[";
  auto add = [&](const HttpRequest& request) {
    if (requests.size() > 1) requests += ',';
    requests += to_json_text(request);
  };
  if (config_.refresh == RefreshMode::cookie) {
    if (everywhere && !config_.endpoints.logout_all.empty()) {
      if (auto bearer = authorization(mono_ms)) {
        HttpRequest all = post(config_, config_.endpoints.logout_all, "include");
        all.authorization = bearer.value();
        all.dpop = all.dpop_ath = config_.dpop;  // bearer-authenticated: a resource proof
        add(all);
      }
    }
    if (!config_.endpoints.logout.empty()) add(post(config_, config_.endpoints.logout, "include"));
  } else if (!refresh_token_.empty() && !config_.endpoints.revocation.empty()) {
    HttpRequest revoke = post(config_, config_.endpoints.revocation, "omit");  // RFC 7009 §2.1
    revoke.content_type = "application/x-www-form-urlencoded";
    revoke.body = form_encode({{"token", refresh_token_},
                               {"token_type_hint", "refresh_token"},
                               {"client_id", config_.client_id}});
    add(revoke);
  }
  return requests + "]";
}

std::string Session::end_session_url(const std::string& post_logout_redirect_uri, const std::string& state) const {
  if (config_.endpoints.end_session.empty()) return "";
  std::string query = form_encode({{"client_id", config_.client_id}});
  if (tokens_ && !tokens_->id_token.empty()) append_form_field(query, "id_token_hint", tokens_->id_token);
  if (!post_logout_redirect_uri.empty()) append_form_field(query, "post_logout_redirect_uri", post_logout_redirect_uri);
  if (!state.empty()) append_form_field(query, "state", state);
  const char separator = config_.endpoints.end_session.find('?') == std::string::npos ? '?' : '&';
  return config_.endpoints.end_session + separator + query;
}

void Session::remember_dpop_nonce(const std::string& url, const std::string& nonce) {
  auto origin = url_origin(url);
  // RFC 9449 §8.1: nonce = 1*NQCHAR (printable ASCII but '"' and '\\'); bounded, as is the list.
  if (!origin || nonce.empty() || nonce.size() > 512) return;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return;
  }
  for (auto& entry : dpop_nonces_) {
    if (entry.first == *origin) {
      entry.second = nonce;
      return;
    }
  }
  if (dpop_nonces_.size() >= 16) dpop_nonces_.erase(dpop_nonces_.begin());
  dpop_nonces_.emplace_back(*origin, nonce);
}

Result<std::string> Session::dpop_proof_input(const std::string& htm, const std::string& htu, bool resource,
                                              long long wall_ms) const {
  if (!dpop_key_) return make_error(ErrorCode::configuration, "no DPoP key (setDpopKey first)");
  DpopClaims claims{htm, htu, wall_ms / 1000, "", ""};
  if (resource) {  // §7.1: bound to the access token the request carries
    if (!tokens_) return make_error(ErrorCode::not_authenticated, "not logged in");
    claims.ath = access_token_hash(tokens_->access_token);
  }
  if (auto origin = url_origin(htu)) {
    for (const auto& [known, nonce] : dpop_nonces_) {
      if (known == *origin) claims.nonce = nonce;
    }
  }
  return dpop_signing_input(*dpop_key_, claims);
}

bool Session::wants_dpop_nonce(const HttpResponse& response) {
  if (response.status != 400 || response.dpop_nonce.empty()) return false;
  auto body = parse_json_object(response.body);
  return body && string_equals(body.value(), "error", "use_dpop_nonce");
}

void Session::forget_refresh_token() {
  for (auto& c : refresh_token_) c = '\0';
  refresh_token_.clear();
  if (tokens_) {
    for (auto& c : tokens_->refresh_token) c = '\0';
    tokens_->refresh_token.clear();
  }
}

void Session::set_token_lifetime(long long lifetime_ms) {
  if (tokens_ && lifetime_ms > 0 && lifetime_ms <= 366LL * 24 * 3600 * 1000) tokens_->lifetime_ms = lifetime_ms;
}

void Session::wipe() {
  // Overwrite before release: the wasm heap is reused, and a later reader of freed memory
  // should find zeros, not a token (defence in depth; see README "Honest limits").
  auto scrub = [](std::string& s) {
    for (auto& c : s) c = '\0';
    s.clear();
  };
  if (tokens_) {
    scrub(tokens_->access_token);
    scrub(tokens_->id_token);
    scrub(tokens_->refresh_token);
  }
  scrub(refresh_token_);
  login_nonce_.clear();
  tokens_.reset();
  ++generation_;
  user_ = Json();
  refresh_in_flight_ = false;
}

void Session::write_info(JsonWriter& out, long long mono_ms) const {
  static const Json null;
  out.value("user", user_.is_object() ? user_ : null);
  out.number("refreshCount", refresh_count_);
  if (!tokens_) {
    out.value("expiresIn", null);
    out.value("accessTokenClaims", null);
    return;
  }
  const long long left = tokens_->expires_at_mono_ms - mono_ms;
  out.real("expiresIn", left > 0 ? left / 1000.0 : 0.0);
  auto jwt = decode_jwt(tokens_->access_token);
  out.value("accessTokenClaims", jwt ? jwt.value().claims : null);
}

}  // namespace authwasm
