// The PostgreSQL store (--store postgres://…): the shared store of several server instances
// behind one URL (server/README.md "Deployment"). libpq, a pool of connections sized to the
// worker threads, READ COMMITTED transactions. Rotation is a compare-and-swap on the family's
// generation, so instances need no lock of their own; a unique (sid, gen) key of rotations
// makes a second rotation of one generation impossible even if that logic were wrong.
// Serialisation failures and deadlocks (SQLSTATE 40001, 40P01) are retried.
// The schema carries its version in authwasm_schema and is upgraded at start, under an
// advisory lock, so instances starting together migrate once.
#pragma once
#include <condition_variable>
#include <mutex>
#include <vector>

#include "shared_state.hpp"
#include "store.hpp"

struct pg_conn;

namespace authwasm::server {

class PgConnection;

class PostgresStore final : public Store, public SharedState {
 public:
  // `url`: a libpq connection URI. `pool_size`: connections at most (one per worker thread).
  static std::unique_ptr<PostgresStore> open(const std::string& url, int pool_size, std::string& error);
  ~PostgresStore() override;

  // Store (store.hpp).
  CreateUser create_user(const std::string& username, const std::string& password_hash, int64_t now_ms,
                         User& out) override;
  std::optional<User> user_by_name(const std::string& username) override;
  std::optional<User> user_by_sub(const std::string& sub) override;
  std::optional<User> user_by_id(int64_t id) override;

  std::optional<RefreshResult> start_family(const User& user, const std::string& client_id,
                                            const std::string& scope, int64_t auth_time,
                                            int64_t now_ms, int64_t refresh_ttl_ms,
                                            const std::string& dpop_jkt) override;
  RefreshResult refresh(const std::string& token, int64_t now_ms, int64_t refresh_ttl_ms, int64_t grace_ms,
                        const std::string& dpop_jkt) override;
  bool revoke_family_of_token(const std::string& token, int64_t now_ms) override;
  int revoke_user(const std::string& sub, int64_t now_ms) override;

  std::optional<std::string> put_code(const AuthCode& code, int64_t now_ms, int64_t ttl_ms) override;
  CodeStatus take_code(const std::string& code, int64_t now_ms, AuthCode& out) override;
  void bind_code_family(const std::string& code, const std::string& sid) override;

  std::optional<std::string> create_login_session(int64_t user_id, int64_t auth_time, int64_t now_ms,
                                                  int64_t ttl_ms) override;
  std::optional<User> login_session_user(const std::string& session, int64_t now_ms, int64_t& auth_time) override;

  std::optional<std::vector<StoredKey>> signing_keys() override;
  bool add_signing_key(const StoredKey& key, int64_t retire_others_at_ms) override;
  bool seed_signing_key(const StoredKey& key) override;
  std::optional<std::string> server_secret(const std::string& name, const std::string& fresh) override;

  int cleanup(int64_t now_ms) override;
  SharedState* shared_state() override { return this; }

  // SharedState (shared_state.hpp).
  JtiRecord record_jti(const std::string& key, int64_t expires_at_ms, int64_t now_ms) override;
  bool take_rate_token(const std::string& key, int burst, double per_minute, int64_t now_ms,
                       int& retry_after_s) override;

 private:
  PostgresStore() = default;
  friend class PgLease;
  PgConnection* acquire();
  void release(PgConnection* connection);
  bool migrate(PgConnection& db, std::string& error);

  std::string url_;
  int pool_size_ = 1;
  int open_connections_ = 0;
  bool unreachable_ = false;  // the last connection attempt failed (said once per outage)
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<PgConnection*> idle_;
};

}  // namespace authwasm::server
