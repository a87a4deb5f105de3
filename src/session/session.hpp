// The client's state and policy: the token store (tokens live here, in the wasm heap, and
// nowhere else), when to refresh, single flight, retry once, what ends a session.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "oauth/client_config.hpp"
#include "jose/dpop.hpp"
#include "base/http.hpp"
#include "base/json.hpp"
#include "base/result.hpp"
#include "tabs/tab_message.hpp"
#include "oauth/tokens.hpp"
#include "oauth/www_authenticate.hpp"

namespace authwasm {

enum class Freshness { none, fresh, expired };

struct RefreshStep {
  enum Kind { start, join, unavailable } kind = unavailable;
  HttpRequest request;  // for `start`
};

enum class ApiAction {
  deliver,            // give the response to the caller
  refresh_and_retry,  // the token we sent is the current one and was refused: refresh, retry
  retry,              // the token we sent was replaced meanwhile: retry with the new one
  nonce_retry,        // RFC 9449 §9: the resource server wants a DPoP nonce it just sent
};

// What a refresh or login produced, for the JS side: never the tokens themselves.
struct SessionChange {
  bool ended = false;   // the session is over (invalid_grant): JS fires logout
  Json user;            // the user after the change (null when ended)
};

class Session {
 public:
  explicit Session(ClientConfig&& config) : config_(std::move(config)) {}
  explicit Session(const ClientConfig& config) : config_(config) {}

  const ClientConfig& config() const { return config_; }
  bool authenticated() const { return tokens_.has_value(); }
  Freshness freshness(long long mono_ms) const;
  const Json& user() const { return user_; }

  // Any token answer (code exchange, password login, refresh). On error nothing changes,
  // except that a definite refusal during a refresh ends the session.
  Result<Json> accept_token_response(const HttpResponse& response, const IdTokenExpectations& expect,
                                     const Clock& clock);

  // RFC 6749 §6 refresh, single flight: the first caller gets `start` and a request to send;
  // callers while it is in flight get `join` and wait for the first one's outcome.
  RefreshStep begin_refresh();
  // The refresh request's answer. invalid_grant (or 401) ends the session (SessionChange.ended);
  // 5xx or a malformed answer fails this refresh and keeps the session.
  Result<SessionChange> finish_refresh(const HttpResponse& response, const Clock& clock);
  // The refresh request got no answer at all (network): nothing changes, the flight ends.
  void abandon_refresh() { refresh_in_flight_ = false; }
  bool refresh_in_flight() const { return refresh_in_flight_; }

  // The Authorization header for an API call, when the token is fresh.
  Result<std::string> authorization(long long mono_ms) const;
  // Which access token is current: bumps whenever it is replaced or wiped.
  unsigned generation() const { return generation_; }
  // RFC 6750 §3.1: a 401 invalid_token on attempt 1 leads to exactly one retry, after one
  // refresh unless another call already replaced the token that was sent (`sent_generation`).
  // With DPoP, a use_dpop_nonce challenge gets one retry of its own (`nonce_retried`): one
  // call makes at most one nonce retry and one refresh retry, never a loop.
  ApiAction classify_api_response(int attempt, bool nonce_retried, unsigned sent_generation, int status,
                                  const std::string& www_authenticate) const;

  // DPoP (RFC 9449). The public key js/dpop.js holds the private half of (null: none yet).
  void set_dpop_key(std::optional<EcPublicJwk> key) { dpop_key_ = std::move(key); }
  const std::optional<EcPublicJwk>& dpop_key() const { return dpop_key_; }
  // §8: the last DPoP-Nonce each origin sent, in memory only.
  void remember_dpop_nonce(const std::string& url, const std::string& nonce);
  // The signing input of a proof for `htm` `htu`; `resource`: bound to the access token (ath).
  Result<std::string> dpop_proof_input(const std::string& htm, const std::string& htu, bool resource,
                                       long long wall_ms) const;
  // §8: a token endpoint's 400 use_dpop_nonce is answered by one retry with the new nonce.
  static bool wants_dpop_nonce(const HttpResponse& token_endpoint_response);

  HttpRequest password_login_request(const std::string& username, const std::string& password) const;
  // Server-side logout: cookie mode (logout, logout-all first when `everywhere`) or RFC 7009
  // revocation of the refresh token in memory mode. A JSON array of requests (to_json_text), as
  // js/ takes them: a std::vector<HttpRequest> cost ~0.6 KB of wasm for at most two.
  std::string logout_requests_json(bool everywhere, long long mono_ms) const;
  // OIDC RP-Initiated Logout 1.0 §2; empty when the provider has no end_session_endpoint.
  std::string end_session_url(const std::string& post_logout_redirect_uri, const std::string& state) const;

  void wipe();
  // For session(): {user, refreshCount, expiresIn, accessTokenClaims} (claims, expiry, counts; no tokens).
  void write_info(JsonWriter& out, long long mono_ms) const;
  unsigned refresh_count() const { return refresh_count_; }

  // Cross-tab messages (src/tabs/tab_message.cpp): what other tabs sent, and the current tokens to
  // share with them (null without any).
  TabState& tab_state() { return tab_state_; }
  const TokenSet* token_set() const { return tokens_ ? &*tokens_ : nullptr; }

  // Memory mode across tabs (docs/tabs.md "One refresh-token holder"): exactly one tab holds the
  // refresh token. A hand-off moves it, with the login nonce (OIDC Core §12.2), to another tab;
  // this tab can never present it again.
  bool holds_refresh_token() const { return !refresh_token_.empty(); }
  const std::string& refresh_token() const { return refresh_token_; }
  const std::string& login_nonce() const { return login_nonce_; }
  void set_login_nonce(std::string nonce) { login_nonce_ = std::move(nonce); }
  void forget_refresh_token();
  // A shared token keeps the lifetime it was issued with, so every tab applies the same leeway
  // bound (Session::freshness) to it and they consider it expired at the same moment.
  void set_token_lifetime(long long lifetime_ms);

 private:
  ClientConfig config_;
  std::optional<TokenSet> tokens_;
  std::string refresh_token_;  // memory mode; survives access-token replacement
  std::string login_nonce_;    // the nonce of this tab's own login (OIDC Core §12.2 on refresh)
  Json user_;
  std::optional<EcPublicJwk> dpop_key_;
  std::vector<std::pair<std::string, std::string>> dpop_nonces_;  // origin → nonce
  bool refresh_in_flight_ = false;
  unsigned refresh_count_ = 0;
  unsigned generation_ = 0;
  TabState tab_state_;
};

}  // namespace authwasm
