// The SQLite store (WAL), the embedded default. One connection behind a mutex: SQLite
// serialises writers anyway, and each operation is one short transaction. The schema carries
// its version in PRAGMA user_version and is upgraded on open (server/README.md).
#pragma once
#include <mutex>
#include <unordered_map>

#include "store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace authwasm::server {

class SqliteStore final : public Store {
 public:
  static std::unique_ptr<SqliteStore> open(const std::string& path, std::string& error);
  ~SqliteStore() override;

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

 private:
  SqliteStore() = default;
  sqlite3_stmt* stmt(const char* sql);
  bool exec(const char* sql);
  // Creates or upgrades the schema to kSchemaVersion (PRAGMA user_version).
  bool migrate(std::string& error);
  bool add_missing_columns();  // columns of versions 2 and 3, where a table lacks them
  std::optional<User> user_where(const char* sql, const std::string& arg);
  std::optional<User> user_by_id_locked(int64_t id);
  bool insert_token(const std::string& hash, const std::string& sid, int64_t user_id, int64_t gen,
                    int64_t now_ms, int64_t expires_at_ms, bool sibling);
  void revoke_family_locked(const std::string& sid, int64_t now_ms);

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace authwasm::server
