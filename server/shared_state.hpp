// What several instances behind one URL must agree on besides the Store's rows: the DPoP jti
// replay record (RFC 9449 §11.1) and the login and registration rate limits. A store every
// instance shares (PostgreSQL) provides it; a single-instance store (SQLite) does not, and the
// server then keeps both in process memory (dpop_check.hpp ReplayCache, rate_limit.hpp).
#pragma once
#include <cstdint>
#include <string>

namespace authwasm::server {

class SharedState {
 public:
  virtual ~SharedState() = default;

  enum class JtiRecord { fresh, replay, failed };
  // Records `key` (a proof's jti, namespaced by its key) until `expires_at_ms`; `replay` when
  // it is already recorded and not yet expired. `failed` (database error) must fail closed.
  virtual JtiRecord record_jti(const std::string& key, int64_t expires_at_ms, int64_t now_ms) = 0;

  // One token from the bucket `key` (`burst` tokens, refilled at `per_minute`); false when it is
  // empty, with the seconds until the next token in `retry_after_s`. A database error refuses.
  virtual bool take_rate_token(const std::string& key, int burst, double per_minute, int64_t now_ms,
                               int& retry_after_s) = 0;
};

}  // namespace authwasm::server
