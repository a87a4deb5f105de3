// DPoP on the reference server (RFC 9449): proof validation with every check of §4.3, stateless
// server nonces (§8, §9), and the jti replay cache (§11.1). The proof's pieces come from the
// core (src/jose/dpop.hpp: EcPublicJwk, normalize_htu, jwk_thumbprint, access_token_hash) and the
// signature check from authwasm_jws (src/jose/jws_verify.hpp), so the client that builds proofs and
// the server that checks them share one implementation of each. server/README.md "DPoP".
// (Named dpop_check, not dpop, so it never shadows the core's dpop.hpp.)
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <httplib.h>

#include "base/json.hpp"
#include "shared_state.hpp"

namespace authwasm::server {

struct Config;

// A proof's iat may be this far from the server's clock, either way (§4.3 check 11).
constexpr int64_t kDpopProofWindowMs = 60'000;

// Why a proof was refused; each reason has a counter in GET /debug/stats ("dpop_rejected").
enum class DpopRejection {
  missing,          // a token request without a proof under --dpop required, or a bound token without one
  multiple_headers, // §4.3 check 1: exactly one DPoP header
  malformed,        // checks 2-3: not a JWT, claims missing or of the wrong type
  typ,              // check 4: typ is not dpop+jwt
  alg,              // check 5: alg is not ES256 (none, HS256 and every other are refused)
  jwk,              // checks 6-7: not a public EC P-256 JWK (a private "d" is refused)
  signature,        // check 6: the signature does not verify with that jwk
  htm,              // check 8
  htu,              // check 9
  nonce,            // check 10: missing or stale (answered use_dpop_nonce)
  iat,              // check 11
  ath,              // check 12 (resource requests, §7.1)
  key_mismatch,     // the proof's key is not the one the token, code or session is bound to
  replay,           // §11.1: this jti was seen inside the window
  bearer_downgrade, // §7.2: a DPoP-bound access token sent with the Bearer scheme
  cache_full,       // the replay cache cannot take another jti: 503, fail closed
  count_,
};
const char* dpop_rejection_name(DpopRejection reason);

struct DpopResult {
  enum class Status {
    absent,       // no DPoP header: the caller decides (Bearer, or refused)
    ok,           // `jkt` is the RFC 7638 thumbprint of the proof's key
    invalid,      // invalid_dpop_proof
    use_nonce,    // use_dpop_nonce: answer with a fresh DPoP-Nonce (§8 token endpoint, §9 resource)
    unavailable,  // the replay cache is full: 503
  };
  Status status = Status::absent;
  DpopRejection reason = DpopRejection::malformed;
  std::string jkt;
  std::string description;
};

// What the proof must match. An empty `access_token` means a token request (no ath, §4.3
// check 12 does not apply); an empty `jkt` means any key (a token request not bound yet).
struct ProofExpectation {
  std::string method;
  std::string url;           // the request's URL: the issuer's origin + the request-target's path
  std::string access_token;  // resource requests: ath must be its hash (§7.1)
  std::string jkt;           // the key the token, code or session is bound to
};

// Stateless nonces (§8): base64url(HMAC-SHA256(secret, step)) over time steps of `step_ms`.
// The current and the previous step are accepted, so one nonce lives between one and two steps.
// The secret is random per process unless one is given (use_secret): the store's, which every
// instance shares, so a nonce one instance issued is good at every other and across restarts.
class DpopNonces {
 public:
  explicit DpopNonces(int64_t step_ms);
  void use_secret(const std::string& secret) { secret_ = secret; }
  std::string current(int64_t now_ms) const;
  bool accepts(const std::string& nonce, int64_t now_ms) const;

 private:
  std::string for_step(int64_t step) const;
  std::string secret_;
  int64_t step_ms_;
};

// The jti values of accepted proofs, each kept until its proof could no longer pass the iat
// check. Bounded: when full (after dropping expired entries) it refuses, never forgets early,
// since forgetting a jti inside its window would let that proof be replayed.
class ReplayCache {
 public:
  explicit ReplayCache(std::size_t capacity) : capacity_(capacity) {}
  enum class Insert { fresh, replay, full };
  Insert insert(const std::string& key, int64_t expires_at_ms, int64_t now_ms);
  std::size_t size() const;

 private:
  using Entry = std::pair<int64_t, std::string>;  // (expires_at_ms, key)
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_set<std::string> keys_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> by_expiry_;
};

class DpopVerifier {
 public:
  explicit DpopVerifier(const Config& config);

  // Several instances behind one URL (shared_state.hpp): nonces from `nonce_secret`, and the
  // jti record in `shared` instead of this process's ReplayCache. Call before serving.
  void share(SharedState* shared, const std::string& nonce_secret);

  // The §4.3 checks on the request's DPoP header against `expect`, in order; the jti is
  // recorded only when every other check passed.
  DpopResult check(const httplib::Request& req, const ProofExpectation& expect, int64_t now_ms);

  // The URL a proof for this request must name: the issuer's origin + the request-target's
  // path (the query is not part of htu, §4.3 check 9).
  std::string request_url(const httplib::Request& req) const;

  // Sends `DPoP-Nonce` with the current nonce when nonces are on (any response, §8.2).
  void add_nonce_header(httplib::Response& res, int64_t now_ms) const;

  void count(DpopRejection reason) { rejected_[std::size_t(reason)]++; }
  Json stats() const;  // {accepted, nonce_challenges, rejected: {reason: n}, replay_cache_size}

 private:
  DpopResult refuse(DpopResult::Status status, DpopRejection reason, std::string description);
  const Config& config_;
  DpopNonces nonces_;
  ReplayCache replay_;
  SharedState* shared_ = nullptr;
  std::atomic<long> accepted_{0}, nonce_challenges_{0};
  std::array<std::atomic<long>, std::size_t(DpopRejection::count_)> rejected_{};
};

}  // namespace authwasm::server
