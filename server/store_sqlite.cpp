#include "store_sqlite.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "base/base64url.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"
#include "sqlite_wal_vfs.hpp"

namespace authwasm::server {
namespace {

// Schema version, kept in PRAGMA user_version. 0: an empty database, or one written by the
// first servers, which stored whole seconds and set no version. 1: every *_at column holds
// Unix milliseconds, except auth_time (seconds: it is copied into the OIDC auth_time claim).
// 2: families.dpop_jkt and auth_codes.dpop_jkt (RFC 9449 §5, §10), '' when unbound.
// 3: refresh_tokens.sibling and the unique (sid, gen) key of rotations; signing_keys and
// server_secrets (keys and secrets every instance shares, server/README.md "Deployment").
// 4: one unique index (sid, gen, sibling) in place of refresh_tokens_sid and the partial
// rotation key: grace siblings of a generation are numbered 1, 2, … and the rotation is 0, so
// it still admits one rotation per generation, and serves the lookups by family. A rotated
// token's row is no longer updated (successor, rotated_at stay NULL from version 4 on: the
// successor is the family's row of the next generation with sibling 0, and its created_at
// the rotation time). Both make a rotation write fewer pages.
constexpr int kSchemaVersion = 4;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  sub TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- One row per login; `gen` counts rotations and `rotated_at` is when the family last moved to
-- a new generation (the start of the grace window, server/README.md).
CREATE TABLE IF NOT EXISTS families (
  sid TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  auth_time INTEGER NOT NULL,
  gen INTEGER NOT NULL DEFAULT 0,
  rotated_at INTEGER,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  dpop_jkt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS families_user ON families(user_id);
-- Refresh tokens by SHA-256 hash only, with family, user, generation and expiry. successor and
-- rotated_at are written by versions before 4 only.
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash BLOB PRIMARY KEY,
  sid TEXT NOT NULL REFERENCES families(sid) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,
  gen INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  successor BLOB,
  rotated_at INTEGER,
  sibling INTEGER NOT NULL DEFAULT 0  -- 0: the rotation; n > 0: the n-th grace reissue (README)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE TABLE IF NOT EXISTS auth_codes (
  hash BLOB PRIMARY KEY,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  auth_time INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  sid TEXT,
  dpop_jkt TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_sessions (
  hash BLOB PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  auth_time INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
-- ES256 signing keys (keys.hpp, KeyRing): published from created_at, signing from activate_at,
-- neither after retire_at.
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY,
  private_pem TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  activate_at INTEGER NOT NULL,
  retire_at INTEGER
);
CREATE TABLE IF NOT EXISTS server_secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
)";

// From the seconds-era schema (version 0 with tables): accounts are kept, everything
// time-bound is dropped rather than converted, so every user simply logs in again.
constexpr const char* kUpgradeFromSeconds = R"(
DELETE FROM login_sessions;
DELETE FROM auth_codes;
DELETE FROM refresh_tokens;
DELETE FROM families;
UPDATE users SET created_at = created_at * 1000;
)";

// Columns added after version 1: (table, column, ALTER), each added where missing. To 2: the
// DPoP key columns (sessions, codes and tokens are kept, unbound as they were issued). To 3:
// refresh_tokens.sibling.
constexpr const char* const kAddedColumns[][3] = {
    {"families", "dpop_jkt", "ALTER TABLE families ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT ''"},
    {"auth_codes", "dpop_jkt", "ALTER TABLE auth_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT ''"},
    {"refresh_tokens", "sibling", "ALTER TABLE refresh_tokens ADD COLUMN sibling INTEGER NOT NULL DEFAULT 0"},
};

// To version 3: of the tokens of one (family, generation) written before, the first is the
// rotation and the rest grace siblings; then at most one rotation per generation, ever.
constexpr const char* kUniqueRotation = R"(
UPDATE refresh_tokens SET sibling = 1 WHERE EXISTS (SELECT 1 FROM refresh_tokens o
  WHERE o.sid = refresh_tokens.sid AND o.gen = refresh_tokens.gen
    AND (o.created_at < refresh_tokens.created_at OR (o.created_at = refresh_tokens.created_at AND o.hash < refresh_tokens.hash)));
CREATE UNIQUE INDEX IF NOT EXISTS refresh_tokens_rotation ON refresh_tokens(sid, gen) WHERE sibling = 0;
)";

// To version 4: the siblings of each (family, generation) numbered in the order they were
// written, then one unique key (sid, gen, sibling) for both indexes it replaces. An empty
// database gets it here too (kSchema creates no index on refresh_tokens.sid).
constexpr const char* kFamilyIndex = R"(
UPDATE refresh_tokens SET sibling = 1 + (SELECT count(*) FROM refresh_tokens o
  WHERE o.sid = refresh_tokens.sid AND o.gen = refresh_tokens.gen AND o.sibling > 0
    AND (o.created_at < refresh_tokens.created_at OR (o.created_at = refresh_tokens.created_at AND o.hash < refresh_tokens.hash)))
  WHERE sibling > 0;
CREATE UNIQUE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(sid, gen, sibling);
DROP INDEX IF EXISTS refresh_tokens_rotation;
DROP INDEX IF EXISTS refresh_tokens_sid;
)";

// Binding and reading helpers; statements are cached and reset after each use.
struct Use {
  sqlite3_stmt* s;
  explicit Use(sqlite3_stmt* st) : s(st) {}
  ~Use() {
    if (s) {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  }
  Use& text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Use& blob(int i, const std::string& v) {
    sqlite3_bind_blob(s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Use& num(int i, int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  bool row() { return s && sqlite3_step(s) == SQLITE_ROW; }
  bool done() { return s && sqlite3_step(s) == SQLITE_DONE; }
  int step() { return s ? sqlite3_step(s) : SQLITE_ERROR; }
  int64_t col_int(int i) { return sqlite3_column_int64(s, i); }
  bool col_null(int i) { return sqlite3_column_type(s, i) == SQLITE_NULL; }
  std::string col_text(int i) {
    const auto* p = sqlite3_column_text(s, i);
    return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(s, i))) : "";
  }
};

// A transaction that rolls back unless committed.
struct Tx {
  sqlite3* db;
  bool open;
  explicit Tx(sqlite3* d) : db(d), open(sqlite3_exec(d, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK) {}
  bool commit() {
    if (!open) return false;
    open = false;
    return sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Tx() {
    if (open) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
};

}  // namespace

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, std::string& error) {
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  // Commits write their WAL frames with one write each (sqlite_wal_vfs.hpp).
  if (sqlite3_open_v2(path.c_str(), &store->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      wal_append_vfs_name()) != SQLITE_OK) {
    error = "cannot open database " + path + ": " +
            (store->db_ ? sqlite3_errmsg(store->db_) : "out of memory");
    return nullptr;
  }
  // The database holds the signing keys' private keys (signing_keys): owner-only, whatever the
  // umask. SQLite gives the -wal and -shm files the main file's mode when it creates them;
  // existing ones are tightened too.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    const std::string file = path + suffix;
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) ::chmod(file.c_str(), st.st_mode & 0700);
  }
  // WAL: readers never block the writer. synchronous=NORMAL in WAL mode loses no committed
  // transaction on a process crash (only on power loss); a clean shutdown checkpoints.
  if (!store->exec("PRAGMA journal_mode=WAL") || !store->exec("PRAGMA synchronous=NORMAL") ||
      !store->exec("PRAGMA foreign_keys=ON") || !store->exec("PRAGMA busy_timeout=5000")) {
    error = "cannot initialise database " + path + ": " + sqlite3_errmsg(store->db_);
    return nullptr;
  }
  if (!store->migrate(error)) {
    error = "database " + path + ": " + error;
    return nullptr;
  }
  // Checkpoints on a thread of their own instead of SQLite's automatic one, which runs inside
  // the commit that crosses 1000 WAL frames: with synchronous=NORMAL it syncs the WAL and the
  // database there (two fsyncs, and one more when the WAL restarts), while every other refresh
  // waits for the store. It did so ~20 times a second under bench/server.mjs.
  if (!store->start_checkpointer(path, error)) {
    error = "database " + path + ": " + error;
    return nullptr;
  }
  return store;
}

bool SqliteStore::start_checkpointer(const std::string& path, std::string& error) {
  if (sqlite3_open_v2(path.c_str(), &checkpoint_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      wal_append_vfs_name()) !=
          SQLITE_OK ||
      sqlite3_exec(checkpoint_db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_busy_timeout(checkpoint_db_, 5000) != SQLITE_OK) {
    error = std::string("cannot open the checkpoint connection: ") +
            (checkpoint_db_ ? sqlite3_errmsg(checkpoint_db_) : "out of memory");
    return false;
  }
  sqlite3_wal_hook(db_, &SqliteStore::on_wal_commit, this);  // replaces the automatic checkpoint
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
  return true;
}

// After every commit on db_ (mutex_ held): `frames` is the WAL's length. Asks for a pass every
// kCheckpointFrames frames; never checkpoints here.
int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
  auto* store = static_cast<SqliteStore*>(self);
  store->wal_frames_ = frames;
  if (frames < store->frames_at_request_) store->frames_at_request_ = 0;  // the WAL restarted
  if (frames - store->frames_at_request_ >= kCheckpointFrames) {
    store->frames_at_request_ = frames;
    {
      std::lock_guard<std::mutex> lock(store->checkpoint_mutex_);
      store->checkpoint_requested_ = true;
    }
    store->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

// PASSIVE passes copy committed WAL frames into the database while writers go on. A pass that
// catches up lets the next write restart the WAL at its start; under a steady stream of
// commits a pass rarely does, so from kRestartFrames on one pass holds mutex_ (no commit from
// this process meanwhile) to bound the WAL. Durability does not depend on any of this: a
// commit is in the WAL before its caller hears of it.
void SqliteStore::checkpoint_loop() {
  bool reported = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(checkpoint_mutex_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_requested_ || checkpoint_stop_; });
      if (checkpoint_stop_) return;
      checkpoint_requested_ = false;
    }
    int log = 0, copied = 0;
    auto pass = [&] {
      checkpoints_++;
      return sqlite3_wal_checkpoint_v2(checkpoint_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    };
    int rc = SQLITE_OK;
    if (wal_frames_ < kRestartFrames) {
      rc = pass();
    } else {
      // Time to restart the WAL. The pass that holds mutex_ should find little to do, since
      // every commit waits for it: unless the WAL has run far ahead (commits faster than
      // passes: then it is bounded first), passes without the lock come first, each copying
      // what was committed during the one before, until one copies at most kHeldFrames; then
      // the database and the WAL are synced, also without the lock, because a pass that does
      // not catch up leaves the pages it copied unsynced and the held pass would sync them all
      // (measured on the refresh bench: p99 85 ms without this, held passes of 2-6 ms with it).
      for (int i = 0; i < 5 && rc == SQLITE_OK && wal_frames_ < kRestartFrames + kCheckpointFrames; i++) {
        const int before = copied;
        rc = pass();
        if (i > 0 && copied - before <= kHeldFrames) break;
      }
      for (int op : {SQLITE_FCNTL_FILE_POINTER, SQLITE_FCNTL_JOURNAL_POINTER}) {
        if (wal_frames_ >= kRestartFrames + kCheckpointFrames) break;  // far behind: bound the WAL first
        sqlite3_file* file = nullptr;
        if (sqlite3_file_control(checkpoint_db_, "main", op, &file) == SQLITE_OK && file && file->pMethods) {
          file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
        }
      }
      if (wal_frames_ >= kRestartFrames) {  // else a write restarted the WAL meanwhile
        // Leaders step aside (lead()) so that a stream of batches cannot keep it from mutex_.
        held_wanted_ = true;
        std::lock_guard<std::mutex> writers(mutex_);
        {
          std::lock_guard<std::mutex> lock(checkpoint_mutex_);
          held_wanted_ = false;
        }
        held_cv_.notify_all();
        rc = pass();
        held_checkpoints_++;
      }
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && !reported) {  // BUSY: another process checkpoints
      std::fprintf(stderr, "authwasm-server: WAL checkpoint failed: %s\n", sqlite3_errmsg(checkpoint_db_));
      reported = true;
    }
  }
}

bool SqliteStore::migrate(std::string& error) {
  Tx tx(db_);
  int version = -1;
  bool has_tables = false;
  {
    Use v(stmt("PRAGMA user_version"));
    if (v.row()) version = int(v.col_int(0));
    Use t(stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'"));
    has_tables = t.row();
  }
  if (!tx.open || version < 0) {
    error = std::string("cannot read the schema version: ") + sqlite3_errmsg(db_);
    return false;
  }
  if (version > kSchemaVersion) {
    error = "schema version " + std::to_string(version) + " is newer than this server's (" +
            std::to_string(kSchemaVersion) + ")";
    return false;
  }
  const std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  if (!exec(kSchema) || (version == 0 && has_tables && !exec(kUpgradeFromSeconds)) ||
      !add_missing_columns() || (version < 3 && !exec(kUniqueRotation)) || (version < 4 && !exec(kFamilyIndex)) ||
      !exec(set_version.c_str()) || !tx.commit()) {
    error = std::string("cannot initialise the schema: ") + sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool SqliteStore::add_missing_columns() {
  for (const auto& [table, column, alter] : kAddedColumns) {
    const std::string probe =
        std::string("SELECT 1 FROM pragma_table_info('") + table + "') WHERE name = '" + column + "'";
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, probe.c_str(), -1, &s, nullptr) != SQLITE_OK) return false;
    const bool present = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!present && !exec(alter)) return false;
  }
  return true;
}

SqliteStore::~SqliteStore() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mutex_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }
  if (checkpoint_db_) sqlite3_close(checkpoint_db_);
  for (auto& entry : statements_) sqlite3_finalize(entry.second);
  if (db_) {
    sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
}

bool SqliteStore::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool SqliteStore::step_ok(const char* sql) {
  Use q(stmt(sql));
  return q.done();
}

sqlite3_stmt* SqliteStore::stmt(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "authwasm-server: SQL prepare failed: %s\n", sqlite3_errmsg(db_));
    return nullptr;
  }
  statements_.emplace(sql, s);
  return s;
}

// ---------------------------------------------------------------- users

Store::CreateUser SqliteStore::create_user(const std::string& username, const std::string& password_hash,
                                     int64_t now_ms, User& out) {
  auto sub = random_bytes(16);
  if (!sub) return CreateUser::failed;
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt("INSERT INTO users(sub, username, password_hash, created_at) VALUES(?,?,?,?)"));
  q.text(1, base64url_encode(sub.value())).text(2, username).text(3, password_hash).num(4, now_ms);
  const int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) return CreateUser::exists;
  if (rc != SQLITE_DONE) return CreateUser::failed;
  out = User{sqlite3_last_insert_rowid(db_), base64url_encode(sub.value()), username, password_hash};
  return CreateUser::created;
}

std::optional<User> SqliteStore::user_where(const char* sql, const std::string& arg) {
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt(sql));
  q.text(1, arg);
  if (!q.row()) return std::nullopt;
  return User{q.col_int(0), q.col_text(1), q.col_text(2), q.col_text(3)};
}

std::optional<User> SqliteStore::user_by_name(const std::string& username) {
  return user_where("SELECT id, sub, username, password_hash FROM users WHERE username = ?", username);
}

std::optional<User> SqliteStore::user_by_sub(const std::string& sub) {
  return user_where("SELECT id, sub, username, password_hash FROM users WHERE sub = ?", sub);
}

std::optional<User> SqliteStore::user_by_id(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return user_by_id_locked(id);
}

std::optional<User> SqliteStore::user_by_id_locked(int64_t id) {
  Use q(stmt("SELECT id, sub, username, password_hash FROM users WHERE id = ?"));
  q.num(1, id);
  if (!q.row()) return std::nullopt;
  return User{q.col_int(0), q.col_text(1), q.col_text(2), q.col_text(3)};
}

// ---------------------------------------------------------------- refresh tokens

bool SqliteStore::insert_token(const std::string& hash, const std::string& sid, int64_t user_id, int64_t gen,
                         int64_t now_ms, int64_t expires_at_ms, bool sibling) {
  // A rotation is sibling 0, which the unique key (sid, gen, sibling) admits once per
  // generation; a grace reissue takes the next number of its generation.
  const char* sql = sibling ? "INSERT INTO refresh_tokens(hash, sid, user_id, gen, created_at, expires_at, sibling)"
                              " SELECT ?1,?2,?3,?4,?5,?6, 1 + coalesce(max(sibling), 0) FROM refresh_tokens"
                              " WHERE sid = ?2 AND gen = ?4"
                            : "INSERT INTO refresh_tokens(hash, sid, user_id, gen, created_at, expires_at, sibling)"
                              " VALUES(?1,?2,?3,?4,?5,?6,0)";
  Use q(stmt(sql));
  q.blob(1, hash).text(2, sid).num(3, user_id).num(4, gen).num(5, now_ms).num(6, expires_at_ms);
  return q.done();
}

std::optional<RefreshResult> SqliteStore::start_family(const User& user, const std::string& client_id,
                                                 const std::string& scope, int64_t auth_time,
                                                 int64_t now_ms, int64_t refresh_ttl_ms,
                                                 const std::string& dpop_jkt) {
  auto sid = new_secret();
  auto token = new_secret();
  if (!sid || !token) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(db_);
  Use q(stmt("INSERT INTO families(sid, user_id, client_id, scope, auth_time, gen, created_at, dpop_jkt)"
             " VALUES(?,?,?,?,?,0,?,?)"));
  q.text(1, *sid).num(2, user.id).text(3, client_id).text(4, scope).num(5, auth_time).num(6, now_ms);
  if (!q.text(7, dpop_jkt).done() ||
      !insert_token(secret_hash(*token), *sid, user.id, 0, now_ms, now_ms + refresh_ttl_ms, false) || !tx.commit()) {
    return std::nullopt;
  }
  RefreshResult r;
  r.status = RefreshStatus::rotated;
  r.token = *token;
  r.family = Family{*sid, user.id, user.sub, client_id, scope, auth_time, dpop_jkt};
  return r;
}

void SqliteStore::revoke_family_locked(const std::string& sid, int64_t now_ms) {
  Use q(stmt("UPDATE families SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL"));
  q.num(1, now_ms).text(2, sid).done();
}

// A refresh waiting for, or in, a group commit (store_sqlite.hpp).
struct SqliteStore::PendingRefresh {
  enum class State { queued, taken, running, done, abandoned };
  std::string hash, next_hash, next_token, dpop_jkt;
  int64_t now_ms = 0, refresh_ttl_ms = 0, grace_ms = 0;
  RefreshResult result;
  State state = State::queued;  // under batch_mutex_
  bool lead = false;            // handed the lead (under batch_mutex_)
  std::condition_variable cv;   // done or lead, with batch_mutex_
};

RefreshResult SqliteStore::refresh(const std::string& token, int64_t now_ms, int64_t refresh_ttl_ms, int64_t grace_ms,
                             const std::string& dpop_jkt) {
  RefreshResult r;
  if (!looks_like_secret(token)) {
    r.status = RefreshStatus::unknown;
    return r;
  }
  auto next = new_secret();
  if (!next) return r;
  auto p = std::make_shared<PendingRefresh>();
  p->hash = secret_hash(token);
  p->next_hash = secret_hash(*next);
  p->next_token = std::move(*next);
  p->dpop_jkt = dpop_jkt;
  p->now_ms = now_ms;
  p->refresh_ttl_ms = refresh_ttl_ms;
  p->grace_ms = grace_ms;

  std::unique_lock<std::mutex> lock(batch_mutex_);
  queue_.push_back(p);
  if (leading_) {
    // A leader is committing a batch; ours goes into one of the next. Woken when answered,
    // or when the lead is handed to us.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(batch_wait_ms_);
    if (!p->cv.wait_until(lock, deadline, [&] { return p->state == PendingRefresh::State::done || p->lead; })) {
      // Not answered in time. Still queued or taken by a batch not yet at it: never applied.
      // Running: in doubt (if its batch commits, the client's retry with the old cookie is
      // the predecessor inside the grace window, as after a lost answer).
      if (p->state == PendingRefresh::State::queued) {
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
          if (*it == p) {
            queue_.erase(it);
            break;
          }
        }
      }
      if (p->state != PendingRefresh::State::running) p->state = PendingRefresh::State::abandoned;
      stats_.timed_out++;
      r.status = RefreshStatus::timed_out;
      return r;
    }
    if (p->state == PendingRefresh::State::done) return std::move(p->result);
  }
  leading_ = true;
  lock.unlock();
  lead(p);
  return std::move(p->result);
}

void SqliteStore::lead(const PendingPtr& own) {
  // Hands the lead on however this ends (an exception included): to the oldest queued
  // refresh, or to nobody.
  struct HandOff {
    SqliteStore& s;
    ~HandOff() {
      std::lock_guard<std::mutex> lock(s.batch_mutex_);
      if (s.queue_.empty()) {
        s.leading_ = false;
      } else {
        s.queue_.front()->lead = true;
        s.queue_.front()->cv.notify_one();
      }
    }
  } hand_off{*this};
  std::vector<PendingPtr> batch;
  for (;;) {
    batch.clear();
    bool committed = false;
    if (held_wanted_) {  // the checkpoint thread waits for mutex_: let it have it first
      std::unique_lock<std::mutex> lock(checkpoint_mutex_);
      held_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return !held_wanted_; });
    }
    {
      std::lock_guard<std::mutex> db(mutex_);
      {
        // Taken once the connection is ours: whatever queued while we waited for it rides along.
        std::lock_guard<std::mutex> lock(batch_mutex_);
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          queue_.front()->state = PendingRefresh::State::taken;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      committed = run_batch(batch);
    }
    bool own_done = false;
    {
      std::lock_guard<std::mutex> lock(batch_mutex_);
      for (const PendingPtr& p : batch) {
        if (p->state != PendingRefresh::State::abandoned) p->state = PendingRefresh::State::done;
      }
      own_done = own->state == PendingRefresh::State::done;
      stats_.batches++;
      if (!committed) stats_.failed_batches++;
      stats_.refreshes += long(batch.size());
      stats_.largest_batch = std::max(stats_.largest_batch, long(batch.size()));
    }
    // Woken outside the lock (`batch` keeps each alive), so they do not wake into a held mutex.
    for (const PendingPtr& p : batch) {
      if (p != own) p->cv.notify_one();
    }
    if (own_done) return;
  }
}

// mutex_ held. One transaction; each refresh under a savepoint when there are several, so a
// statement that fails undoes that refresh alone (answered `failed`). A failed BEGIN or COMMIT
// fails every refresh of the batch: none of them is persisted, and none is answered as if it
// were.
bool SqliteStore::run_batch(std::vector<PendingPtr>& batch) {
  using State = PendingRefresh::State;
  const bool savepoints = batch.size() > 1;
  bool ok = step_ok("BEGIN IMMEDIATE");
  std::vector<PendingRefresh*> ran;
  ran.reserve(batch.size());
  for (const PendingPtr& p : batch) {
    {
      std::lock_guard<std::mutex> lock(batch_mutex_);
      if (p->state != State::taken) continue;  // its caller stopped waiting: skip it
      p->state = State::running;
    }
    ran.push_back(p.get());
    if (!ok) continue;
    if (savepoints && !step_ok("SAVEPOINT refresh")) {
      ok = false;
      continue;
    }
    p->result = refresh_locked(*p);
    if (savepoints) {
      if (p->result.status == RefreshStatus::failed) {
        ok = step_ok("ROLLBACK TO refresh") && step_ok("RELEASE refresh");
      } else {
        ok = step_ok("RELEASE refresh");
      }
    } else if (p->result.status == RefreshStatus::failed) {
      ok = false;  // rolled back below; the batch is this one refresh
    }
  }
  if (ok) ok = step_ok("COMMIT");
  if (!ok) {
    if (!sqlite3_get_autocommit(db_)) step_ok("ROLLBACK");
    for (PendingRefresh* p : ran) {
      p->result.status = RefreshStatus::failed;
      p->result.token.clear();
    }
  }
  return ok;
}

// Rotation: decide_refresh (store.cpp) on what the transaction reads. mutex_ and BEGIN
// IMMEDIATE serialise refreshes (the batch runs them one after the other), so what was read is
// still current when it is written.
RefreshResult SqliteStore::refresh_locked(const PendingRefresh& p) {
  RefreshResult r;
  TokenState state;
  int64_t family_row = 0;
  {
    // One statement reads the token, its family (and its rowid, for the update) and its user.
    Use q(stmt("SELECT t.gen, t.expires_at, f.sid, f.user_id, f.client_id, f.scope, f.auth_time, f.gen,"
               " f.rotated_at, f.revoked_at, f.dpop_jkt, f.rowid, u.sub FROM refresh_tokens t"
               " JOIN families f ON f.sid = t.sid LEFT JOIN users u ON u.id = f.user_id WHERE t.hash = ?"));
    q.blob(1, p.hash);
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
      r.status = rc == SQLITE_DONE ? RefreshStatus::unknown : RefreshStatus::failed;
      return r;
    }
    state.token_gen = q.col_int(0);
    state.token_expires_at_ms = q.col_int(1);
    r.family.sid = q.col_text(2);
    r.family.user_id = q.col_int(3);
    r.family.client_id = q.col_text(4);
    r.family.scope = q.col_text(5);
    r.family.auth_time = q.col_int(6);
    state.family_gen = q.col_int(7);
    state.family_rotated_at_ms = q.col_null(8) ? 0 : q.col_int(8);
    state.family_revoked = !q.col_null(9);
    state.family_jkt = q.col_text(10);
    family_row = q.col_int(11);
    state.user_exists = !q.col_null(12);
    r.family.sub = q.col_text(12);
  }

  const RefreshDecision d = decide_refresh(state, p.now_ms, p.grace_ms, p.dpop_jkt);
  r.family.dpop_jkt = d.family_jkt;
  r.status = d.status;
  using Step = RefreshDecision::Step;
  if (d.step == Step::refuse) return r;
  if (d.step == Step::revoke) {
    Use q(stmt("UPDATE families SET revoked_at = ? WHERE rowid = ? AND revoked_at IS NULL"));
    if (!q.num(1, p.now_ms).num(2, family_row).done()) r.status = RefreshStatus::failed;
    return r;
  }
  const bool rotate = d.step == Step::rotate;
  const int64_t new_gen = rotate ? state.family_gen + 1 : state.family_gen;
  Use f(stmt("UPDATE families SET gen = ?, rotated_at = CASE WHEN ? THEN ? ELSE rotated_at END, dpop_jkt = ?"
             " WHERE rowid = ?"));
  f.num(1, new_gen).num(2, rotate ? 1 : 0).num(3, p.now_ms).text(4, d.family_jkt).num(5, family_row);
  if (!f.done() ||
      !insert_token(p.next_hash, r.family.sid, r.family.user_id, new_gen, p.now_ms, p.now_ms + p.refresh_ttl_ms,
                    !rotate)) {
    r.status = RefreshStatus::failed;
    return r;
  }
  r.token = p.next_token;
  return r;
}

void SqliteStore::fail_commits_for_testing(bool fail) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A commit hook that returns non-zero turns the COMMIT into a rollback, and COMMIT fails
  // (SQLITE_CONSTRAINT_COMMITHOOK): the failure a full disk or an I/O error would give.
  int (*refuse)(void*) = [](void*) { return 1; };
  sqlite3_commit_hook(db_, fail ? refuse : nullptr, nullptr);
}

std::optional<StoreStats> SqliteStore::stats() {
  std::lock_guard<std::mutex> lock(batch_mutex_);
  StoreStats s = stats_;
  s.checkpoints = checkpoints_;
  s.held_checkpoints = held_checkpoints_;
  return s;
}

bool SqliteStore::revoke_family_of_token(const std::string& token, int64_t now_ms) {
  if (!looks_like_secret(token)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  std::string sid;
  {
    Use q(stmt("SELECT sid FROM refresh_tokens WHERE hash = ?"));
    q.blob(1, secret_hash(token));
    if (!q.row()) return false;
    sid = q.col_text(0);
  }
  revoke_family_locked(sid, now_ms);
  return true;
}

int SqliteStore::revoke_user(const std::string& sub, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(db_);
  Use q(stmt("UPDATE families SET revoked_at = ? WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE sub = ?)"));
  if (!q.num(1, now_ms).text(2, sub).done()) return 0;
  const int changed = sqlite3_changes(db_);
  Use s(stmt("DELETE FROM login_sessions WHERE user_id = (SELECT id FROM users WHERE sub = ?)"));
  s.text(1, sub).done();
  tx.commit();
  return changed;
}

// ---------------------------------------------------------------- authorization codes

std::optional<std::string> SqliteStore::put_code(const AuthCode& c, int64_t now_ms, int64_t ttl_ms) {
  auto code = new_secret();
  if (!code) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt("INSERT INTO auth_codes(hash, client_id, redirect_uri, code_challenge, scope, nonce, user_id,"
             " auth_time, expires_at, dpop_jkt) VALUES(?,?,?,?,?,?,?,?,?,?)"));
  q.blob(1, secret_hash(*code)).text(2, c.client_id).text(3, c.redirect_uri).text(4, c.code_challenge);
  q.text(5, c.scope).text(6, c.nonce).num(7, c.user_id).num(8, c.auth_time).num(9, now_ms + ttl_ms);
  q.text(10, c.dpop_jkt);
  if (!q.done()) return std::nullopt;
  return code;
}

CodeStatus SqliteStore::take_code(const std::string& code, int64_t now_ms, AuthCode& out) {
  if (!looks_like_secret(code)) return CodeStatus::unknown;
  const std::string hash = secret_hash(code);
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(db_);
  if (!tx.open) return CodeStatus::failed;
  bool used = false;
  std::string sid;
  int64_t expires_at = 0;
  {
    Use q(stmt("SELECT client_id, redirect_uri, code_challenge, scope, nonce, user_id, auth_time, expires_at,"
               " used_at, sid, dpop_jkt FROM auth_codes WHERE hash = ?"));
    q.blob(1, hash);
    if (!q.row()) return CodeStatus::unknown;
    out = AuthCode{q.col_text(0), q.col_text(1), q.col_text(2), q.col_text(3), q.col_text(4),
                   q.col_int(5), q.col_int(6), q.col_text(10)};
    expires_at = q.col_int(7);
    used = !q.col_null(8);
    sid = q.col_text(9);
  }
  if (used) {
    // RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens issued from it.
    if (!sid.empty()) revoke_family_locked(sid, now_ms);
    tx.commit();
    return CodeStatus::reused;
  }
  Use u(stmt("UPDATE auth_codes SET used_at = ? WHERE hash = ?"));
  if (!u.num(1, now_ms).blob(2, hash).done() || !tx.commit()) return CodeStatus::failed;
  return expires_at <= now_ms ? CodeStatus::expired : CodeStatus::ok;
}

void SqliteStore::bind_code_family(const std::string& code, const std::string& sid) {
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt("UPDATE auth_codes SET sid = ? WHERE hash = ?"));
  q.text(1, sid).blob(2, secret_hash(code)).done();
}

// ---------------------------------------------------------------- login sessions

std::optional<std::string> SqliteStore::create_login_session(int64_t user_id, int64_t auth_time, int64_t now_ms,
                                                       int64_t ttl_ms) {
  auto session = new_secret();
  if (!session) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt("INSERT INTO login_sessions(hash, user_id, auth_time, expires_at) VALUES(?,?,?,?)"));
  if (!q.blob(1, secret_hash(*session)).num(2, user_id).num(3, auth_time).num(4, now_ms + ttl_ms).done()) {
    return std::nullopt;
  }
  return session;
}

std::optional<User> SqliteStore::login_session_user(const std::string& session, int64_t now_ms, int64_t& auth_time) {
  if (!looks_like_secret(session)) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t user_id = 0;
  {
    Use q(stmt("SELECT user_id, auth_time FROM login_sessions WHERE hash = ? AND expires_at > ?"));
    q.blob(1, secret_hash(session)).num(2, now_ms);
    if (!q.row()) return std::nullopt;
    user_id = q.col_int(0);
    auth_time = q.col_int(1);
  }
  return user_by_id_locked(user_id);
}

// ---------------------------------------------------------------- keys and secrets

std::optional<std::vector<StoredKey>> SqliteStore::signing_keys() {
  std::vector<StoredKey> keys;
  std::lock_guard<std::mutex> lock(mutex_);
  Use q(stmt("SELECT kid, private_pem, created_at, activate_at, retire_at FROM signing_keys ORDER BY activate_at, kid"));
  if (!q.s) return std::nullopt;
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    keys.push_back({q.col_text(0), q.col_text(1), q.col_int(2), q.col_int(3), q.col_null(4) ? 0 : q.col_int(4)});
  }
  if (rc != SQLITE_DONE) return std::nullopt;
  return keys;
}

bool SqliteStore::add_signing_key(const StoredKey& key, int64_t retire_others_at_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(db_);
  if (retire_others_at_ms > 0) {
    Use r(stmt("UPDATE signing_keys SET retire_at = ? WHERE retire_at IS NULL"));
    if (!r.num(1, retire_others_at_ms).done()) return false;
  }
  Use q(stmt("INSERT INTO signing_keys(kid, private_pem, created_at, activate_at) VALUES(?,?,?,?)"));
  return q.text(1, key.kid).text(2, key.private_pem).num(3, key.created_at_ms).num(4, key.activate_at_ms).done() &&
         tx.commit();
}

bool SqliteStore::seed_signing_key(const StoredKey& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One statement: SQLite runs it under the database's write lock, so a check and insert by
  // another process (keys rotate, a second server) cannot come in between.
  Use q(stmt("INSERT INTO signing_keys(kid, private_pem, created_at, activate_at)"
             " SELECT ?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM signing_keys)"));
  return q.text(1, key.kid).text(2, key.private_pem).num(3, key.created_at_ms).num(4, key.activate_at_ms).done();
}

std::optional<std::string> SqliteStore::server_secret(const std::string& name, const std::string& fresh) {
  std::lock_guard<std::mutex> lock(mutex_);
  Use put(stmt("INSERT OR IGNORE INTO server_secrets(name, value) VALUES(?,?)"));
  if (!put.text(1, name).blob(2, fresh).done()) return std::nullopt;
  Use q(stmt("SELECT value FROM server_secrets WHERE name = ?"));
  q.text(1, name);
  if (!q.row()) return std::nullopt;
  const auto* p = static_cast<const char*>(sqlite3_column_blob(q.s, 0));
  return std::string(p ? p : "", size_t(sqlite3_column_bytes(q.s, 0)));
}

// ---------------------------------------------------------------- maintenance

int SqliteStore::cleanup(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(db_);
  int removed = 0;
  // Revoked families go with their tokens (ON DELETE CASCADE): a token of a purged family is
  // then "unknown", which gets the same 401 invalid_grant as "revoked".
  const char* const purge[] = {
      "DELETE FROM refresh_tokens WHERE expires_at <= ?1",
      "DELETE FROM families WHERE revoked_at IS NOT NULL AND revoked_at <= ?1",
      "DELETE FROM families WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.sid = families.sid)"
      " AND created_at <= ?1",
      "DELETE FROM auth_codes WHERE expires_at <= ?1 - 600000",  // kept 10 min for reuse detection
      "DELETE FROM login_sessions WHERE expires_at <= ?1",
      "DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= ?1",
  };
  for (const char* sql : purge) {
    Use q(stmt(sql));
    if (q.num(1, now_ms).done()) removed += sqlite3_changes(db_);
  }
  tx.commit();
  return removed;
}

}  // namespace authwasm::server
