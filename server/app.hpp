// What every route handler shares: configuration, store, keys, token issuer, rate limiter,
// counters, and the handful of response steps more than one endpoint takes.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <httplib.h>

#include "config.hpp"
#include "dpop_check.hpp"
#include "key_ring.hpp"
#include "rate_limit.hpp"
#include "store.hpp"
#include "tokens.hpp"

namespace authwasm::server {

struct Stats {
  std::atomic<long> refresh_requests{0}, refresh_rotated{0}, refresh_grace{0}, refresh_reuse{0},
      refresh_rejected{0}, logins{0}, login_failures{0}, token_exchanges{0}, api_requests{0};
};

struct App {
  Config config;
  std::unique_ptr<Store> store;
  std::unique_ptr<KeyRing> keys;                 // signing keys from the store (key_ring.hpp)
  std::unique_ptr<TokenIssuer> tokens;
  std::unique_ptr<RateLimiter> limiter;           // logins, per (username, IP)
  std::unique_ptr<RateLimiter> register_limiter;  // registrations, per IP
  std::unique_ptr<DpopVerifier> dpop;             // RFC 9449 proofs, nonces, replay cache
  Stats stats;

  // --demo only: access tokens (by jti) that POST /demo/expire-token declared expired.
  std::mutex expired_mutex;
  std::unordered_map<std::string, int64_t> expired_jti;  // jti -> its real exp (for pruning)

  // Verifies the access token, `Bearer` (RFC 6750) or `DPoP` with its proof (RFC 9449 §7);
  // on failure answers 401 with the matching WWW-Authenticate challenge and returns false
  // (request_auth.cpp).
  bool authenticate(const httplib::Request& req, httplib::Response& res, AccessClaims& out);

  // The DPoP proof of a token request (/token, /auth/login, /auth/refresh; RFC 9449 §5),
  // checked before anything is spent. `jkt`: the proof key's thumbprint, "" without a proof.
  // On refusal (400 invalid_dpop_proof or use_dpop_nonce, 503) answers and returns false.
  bool token_request_dpop(const httplib::Request& req, httplib::Response& res, std::string& jkt);

  // 200 {access_token, token_type, expires_in, id_token, scope} + the refresh cookie. A family
  // bound to a DPoP key gets token_type "DPoP" and an access token with cnf.jkt.
  void send_tokens(httplib::Response& res, const Family& family, const std::string& refresh_token,
                   const std::string& nonce);

  // A client IP for rate-limit keys (never logged with secrets).
  static std::string client_ip(const httplib::Request& req) { return req.remote_addr; }
};

void register_auth_routes(httplib::Server& server, App& app);
void register_oauth_routes(httplib::Server& server, App& app);
void register_api_routes(httplib::Server& server, App& app);

// `authwasm-server keys rotate|list …` (keys_command.cpp): argv as main got it. Exit status:
// 0, 2 for bad arguments, 1 when the store cannot be used.
int run_keys_command(int argc, char** argv);

// The HTML login form of GET /authorize (login_page.cpp).
std::string render_login_page(const httplib::Request& req, const std::string& error_message);

}  // namespace authwasm::server
