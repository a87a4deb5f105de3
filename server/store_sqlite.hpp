// The SQLite store (WAL), the embedded default. One connection behind a mutex: SQLite
// serialises writers anyway, and each operation is one short transaction. The schema carries
// its version in PRAGMA user_version and is upgraded on open (server/README.md).
//
// Refreshes are group-committed: concurrent refresh() calls queue, and one of the callers
// (the leader) runs the queued rotations one after the other in one transaction, each under a
// savepoint, and commits once; every caller returns only after the commit that holds its
// rotation (or with `failed` when that commit, or its own statements, failed). The rules are
// the same as one transaction per refresh (decide_refresh on what the transaction reads, and a
// later refresh of the batch reads what an earlier one wrote); only the WAL writes and the
// lock round trips are shared. Checkpoints run on a thread of their own (a second
// connection), not in the commit of a request, and a commit writes its WAL frames with one
// write (sqlite_wal_vfs.hpp). server/README.md "Deployment" has the bounds and the failures.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
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

  // Group commit bounds. A batch holds at most kMaxBatch refreshes; a caller waits at most
  // kBatchWaitMs for the batch holding its refresh, then gets RefreshStatus::timed_out.
  static constexpr size_t kMaxBatch = 64;
  static constexpr int64_t kBatchWaitMs = 10000;
  // WAL checkpoints (PASSIVE, on the checkpoint thread) every kCheckpointFrames frames written;
  // from kRestartFrames frames on the thread holds the store's mutex for one pass, so the pass
  // catches up and the next write restarts the WAL. It stays under kRestartFrames plus what is
  // committed during one pass (~4000 more frames under bench/server.mjs; a 4 KB page each).
  static constexpr int kCheckpointFrames = 4000;
  static constexpr int kRestartFrames = 16000;
  static constexpr int kHeldFrames = 256;  // at most about this many left for the held pass

  // Tests only: makes every commit fail (SQLite's commit hook turns it into a rollback), and
  // shortens the wait bound.
  void fail_commits_for_testing(bool fail);
  void set_batch_wait_for_testing(int64_t ms) { batch_wait_ms_ = ms; }
  std::optional<StoreStats> stats() override;

 private:
  struct PendingRefresh;
  using PendingPtr = std::shared_ptr<PendingRefresh>;

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
  // One refresh inside the open transaction (mutex_ held): what it reads decides what it
  // writes. A failed statement gives `failed` (the caller rolls its savepoint back).
  RefreshResult refresh_locked(const PendingRefresh& p);
  // Leader: runs batches from the queue until its own refresh is answered, then hands the
  // lead to the oldest waiting caller, if any.
  void lead(const PendingPtr& own);
  // One batch, one transaction (mutex_ held); false when it did not commit.
  bool run_batch(std::vector<PendingPtr>& batch);
  bool step_ok(const char* sql);  // a cached statement without parameters or rows

  // WAL checkpoints off the request path.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  bool start_checkpointer(const std::string& path, std::string& error);
  void checkpoint_loop();

  std::mutex mutex_;  // the connection (db_, statements_), and the transaction on it
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;

  // Group commit: queue_, leading_ and each PendingRefresh's state under batch_mutex_. Lock
  // order: mutex_ before batch_mutex_.
  std::mutex batch_mutex_;
  std::deque<PendingPtr> queue_;
  bool leading_ = false;
  int64_t batch_wait_ms_ = kBatchWaitMs;
  StoreStats stats_;  // under batch_mutex_, but the checkpoint counters

  // Checkpoints: a second connection used only by checkpointer_.
  sqlite3* checkpoint_db_ = nullptr;
  std::thread checkpointer_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_requested_ = false, checkpoint_stop_ = false;
  int frames_at_request_ = 0;  // under mutex_ (the WAL hook runs in the committing call)
  std::atomic<int> wal_frames_{0};  // the WAL's length after the last commit
  std::atomic<bool> held_wanted_{false};  // the checkpoint thread waits for mutex_ (held_cv_, checkpoint_mutex_)
  std::condition_variable held_cv_;
  std::atomic<long> checkpoints_{0}, held_checkpoints_{0};
};

}  // namespace authwasm::server
