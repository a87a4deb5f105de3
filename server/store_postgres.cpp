#include "store_postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <thread>

#include "base/base64url.hpp"
#include "base/random.hpp"

namespace authwasm::server {

// ---------------------------------------------------------------- schema

namespace {

// Versions as in store_sqlite.cpp (the two stores' schemas move together); PostgreSQL's
// history starts at 2, the first schema it was offered with, and each step upgrades one version.
constexpr int kSchemaVersion = 3;

constexpr const char* kSchemaV2 = R"(
CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  sub TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE TABLE families (
  sid TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  auth_time BIGINT NOT NULL,
  gen BIGINT NOT NULL DEFAULT 0,
  rotated_at BIGINT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  dpop_jkt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX families_user ON families(user_id);
CREATE TABLE refresh_tokens (
  hash BYTEA PRIMARY KEY,
  sid TEXT NOT NULL REFERENCES families(sid) ON DELETE CASCADE,
  user_id BIGINT NOT NULL,
  gen BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  successor BYTEA,
  rotated_at BIGINT
);
CREATE INDEX refresh_tokens_sid ON refresh_tokens(sid);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens(expires_at);
CREATE TABLE auth_codes (
  hash BYTEA PRIMARY KEY,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  scope TEXT NOT NULL,
  nonce TEXT NOT NULL,
  user_id BIGINT NOT NULL,
  auth_time BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  sid TEXT,
  dpop_jkt TEXT NOT NULL DEFAULT ''
);
CREATE TABLE login_sessions (
  hash BYTEA PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  auth_time BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
)";

// 3: as store_sqlite.cpp's version 3 (grace siblings marked, one rotation per generation,
// signing keys and server secrets), plus what instances share (shared_state.hpp).
constexpr const char* kToV3 = R"(
ALTER TABLE refresh_tokens ADD COLUMN sibling BOOLEAN NOT NULL DEFAULT false;
UPDATE refresh_tokens SET sibling = true WHERE EXISTS (SELECT 1 FROM refresh_tokens o
  WHERE o.sid = refresh_tokens.sid AND o.gen = refresh_tokens.gen
    AND (o.created_at < refresh_tokens.created_at OR (o.created_at = refresh_tokens.created_at AND o.hash < refresh_tokens.hash)));
CREATE UNIQUE INDEX refresh_tokens_rotation ON refresh_tokens(sid, gen) WHERE NOT sibling;
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  private_pem TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  activate_at BIGINT NOT NULL,
  retire_at BIGINT
);
CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);
CREATE TABLE dpop_jti (
  key BYTEA PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_jti_expiry ON dpop_jti(expires_at);
CREATE TABLE rate_buckets (
  key TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_at BIGINT NOT NULL
);
)";

// Step i upgrades version kFirstVersion + i - 1 (0: an empty database) to kFirstVersion + i.
constexpr int kFirstVersion = 2;
constexpr const char* const kSteps[] = {kSchemaV2, kToV3};
static_assert(kFirstVersion + int(std::size(kSteps)) - 1 == kSchemaVersion);

constexpr int kMaxAttempts = 5;          // per transaction, on 40001 / 40P01 / 23505
constexpr auto kAcquireTimeout = std::chrono::seconds(5);
constexpr int64_t kMigrationLock = 0x61757468'7761736dLL;  // "authwasm": pg_advisory_xact_lock
constexpr int64_t kSigningKeySeedLock = kMigrationLock + 1;  // seed_signing_key

// One bound parameter: text, or binary (BYTEA hashes).
struct Param {
  std::string value;
  bool binary = false;
  bool null = false;
  Param(const std::string& v) : value(v) {}  // NOLINT: implicit on purpose, for brevity at call sites
  Param(const char* v) : value(v) {}         // NOLINT
  Param(int64_t v) : value(std::to_string(v)) {}  // NOLINT
  Param(int v) : value(std::to_string(v)) {}      // NOLINT
  Param(double v) : value(std::to_string(v)) {}   // NOLINT
  static Param bytes(const std::string& v) {
    Param p(v);
    p.binary = true;
    return p;
  }
  static Param none() {
    Param p("");
    p.null = true;
    return p;
  }
};

}  // namespace

// A query's result; ok() when the statement succeeded.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  ~PgResult() { PQclear(r_); }
  bool ok() const {
    const auto s = PQresultStatus(r_);
    return r_ && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
  }
  std::string sqlstate() const {
    const char* s = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
    return s ? s : "";
  }
  std::string message() const { return r_ ? PQresultErrorMessage(r_) : "no result"; }
  int rows() const { return ok() ? PQntuples(r_) : 0; }
  int affected() const { return ok() ? std::atoi(PQcmdTuples(r_)) : 0; }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col)));
  }
  int64_t num(int row, int col) const { return null(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  double real(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }

 private:
  PGresult* r_;
};

// One connection of the pool, with the failure of the transaction in progress.
class PgConnection {
 public:
  explicit PgConnection(PGconn* c) : c_(c) {}
  ~PgConnection() { PQfinish(c_); }

  PgResult run(const char* sql, std::initializer_list<Param> params = {}) {
    const char* values[16];
    int lengths[16], formats[16];
    int n = 0;
    for (const Param& p : params) {
      if (n == 16) break;
      values[n] = p.null ? nullptr : p.value.data();
      lengths[n] = int(p.value.size());
      formats[n] = p.binary ? 1 : 0;
      ++n;
    }
    return note(PgResult(PQexecParams(c_, sql, n, nullptr, values, lengths, formats, 0)));
  }
  // Several statements without parameters (a migration step).
  PgResult script(const char* sql) { return note(PgResult(PQexec(c_, sql))); }
  PgResult note(PgResult r) {
    if (!r.ok() && failure_.empty()) {
      failure_ = r.sqlstate().empty() ? "08000" : r.sqlstate();
      std::fprintf(stderr, "authwasm-server: PostgreSQL: %s", r.message().c_str());
    }
    return r;
  }
  // The SQLSTATE of the first failed statement since begin(), "" if none.
  const std::string& failure() const { return failure_; }
  bool begin() {
    failure_.clear();
    return run("BEGIN").ok();
  }
  bool commit() { return run("COMMIT").ok(); }
  void rollback() {
    const std::string kept = failure_;
    PgResult r(PQexec(c_, "ROLLBACK"));
    failure_ = kept;
  }
  bool healthy() const { return PQstatus(c_) == CONNECTION_OK; }

 private:
  PGconn* c_;
  std::string failure_;
};

namespace {

bool retryable(const std::string& sqlstate) {
  // serialization_failure, deadlock_detected, unique_violation (the rotation key, taken by a
  // concurrent transaction: re-read and decide again).
  return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "23505";
}

// Redacts the password of a connection URI for messages (postgres://user:SECRET@host/...).
std::string redact(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@', scheme == std::string::npos ? 0 : scheme);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

PGconn* connect(const std::string& url, std::string& error) {
  // connect_timeout and application_name come first: the URI's own values override them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "authwasm-server", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string why = c ? PQerrorMessage(c) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    for (auto& ch : why) ch = ch == '\n' ? ' ' : ch;
    error = "cannot connect to PostgreSQL at " + redact(url) + ": " + why;
    PQfinish(c);
    return nullptr;
  }
  return c;
}

User user_of(const PgResult& r, int row = 0) { return User{r.num(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3)}; }

}  // namespace

// A connection leased from the pool for one operation; returned (or dropped when broken).
class PgLease {
 public:
  explicit PgLease(PostgresStore& store) : store_(store), c_(store.acquire()) {}
  ~PgLease() {
    if (c_) store_.release(c_);
  }
  explicit operator bool() const { return c_ != nullptr; }
  PgConnection& operator*() { return *c_; }
  PgConnection* operator->() { return c_; }

  // Runs `body` in a transaction, retried on serialisation failures, deadlocks and a lost
  // race for the rotation key. `body` returns true to commit, false to roll back; its result
  // is discarded when the transaction fails. Returns false when it could not commit.
  template <class Body>
  bool transaction(Body&& body) {
    if (!c_) return false;
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
      if (!c_->begin()) return false;
      const bool commit = body(*c_);
      if (c_->failure().empty()) {
        if (!commit) {
          c_->rollback();
          return true;
        }
        if (c_->commit()) return true;
      }
      const std::string state = c_->failure();
      c_->rollback();
      if (!retryable(state) || attempt == kMaxAttempts) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(random_below(5 * attempt) + 1));
    }
    return false;
  }

 private:
  static int random_below(int n) {
    auto b = random_bytes(2);
    return b ? (static_cast<unsigned char>(b.value()[0]) | static_cast<unsigned char>(b.value()[1]) << 8) % n : 0;
  }
  PostgresStore& store_;
  PgConnection* c_;
};

// ---------------------------------------------------------------- pool and schema

std::unique_ptr<PostgresStore> PostgresStore::open(const std::string& url, int pool_size, std::string& error) {
  std::unique_ptr<PostgresStore> store(new PostgresStore());
  store->url_ = url;
  store->pool_size_ = pool_size < 1 ? 1 : pool_size;
  PGconn* first = connect(url, error);
  if (!first) return nullptr;
  auto* connection = new PgConnection(first);
  store->open_connections_ = 1;
  if (!store->migrate(*connection, error)) {
    delete connection;
    return nullptr;
  }
  store->idle_.push_back(connection);
  return store;
}

PostgresStore::~PostgresStore() {
  for (PgConnection* c : idle_) delete c;
}

PgConnection* PostgresStore::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + kAcquireTimeout;
  while (idle_.empty() && open_connections_ >= pool_size_) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_connections_ >= pool_size_) {
      std::fprintf(stderr, "authwasm-server: PostgreSQL: no connection free within 5 s\n");
      return nullptr;
    }
  }
  if (!idle_.empty()) {
    PgConnection* c = idle_.back();
    idle_.pop_back();
    return c;
  }
  ++open_connections_;
  lock.unlock();
  std::string error;
  PGconn* c = connect(url_, error);  // a new connection, or again after the server restarted
  lock.lock();
  // An outage is said once when it starts and once when it ends, not at every attempt (each
  // request and key reload tries, so a down database would otherwise fill the log).
  if (!c) {
    if (!unreachable_) std::fprintf(stderr, "authwasm-server: %s\n", error.c_str());
    unreachable_ = true;
    --open_connections_;
    available_.notify_one();
    return nullptr;
  }
  if (unreachable_) std::fprintf(stderr, "authwasm-server: PostgreSQL reachable again\n");
  unreachable_ = false;
  return new PgConnection(c);
}

void PostgresStore::release(PgConnection* connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (connection->healthy()) {
    idle_.push_back(connection);
  } else {
    delete connection;  // the next acquire connects again
    --open_connections_;
  }
  available_.notify_one();
}

bool PostgresStore::migrate(PgConnection& db, std::string& error) {
  if (!db.begin()) {
    error = "cannot start a transaction";
    return false;
  }
  // Instances starting together: one migrates, the others wait here and then find it done.
  db.run("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
  db.run("CREATE TABLE IF NOT EXISTS authwasm_schema (version INTEGER NOT NULL)");
  PgResult v = db.run("SELECT version FROM authwasm_schema");
  if (!db.failure().empty()) {
    error = "cannot read the schema version: " + v.message();
    db.rollback();
    return false;
  }
  int version = v.rows() ? int(v.num(0, 0)) : 0;
  if (version > kSchemaVersion) {
    db.rollback();
    error = "database schema version " + std::to_string(version) + " is newer than this server's (" +
            std::to_string(kSchemaVersion) + ")";
    return false;
  }
  if (version != 0 && version < kFirstVersion - 1) version = kFirstVersion - 1;
  for (int target = version == 0 ? kFirstVersion : version + 1; target <= kSchemaVersion; ++target) {
    db.script(kSteps[target - kFirstVersion]);
    if (!db.failure().empty()) break;
  }
  db.run("DELETE FROM authwasm_schema");
  db.run("INSERT INTO authwasm_schema(version) VALUES($1)", {kSchemaVersion});
  if (!db.failure().empty() || !db.commit()) {
    error = "cannot upgrade the schema to version " + std::to_string(kSchemaVersion) + " (SQLSTATE " +
            db.failure() + ")";
    db.rollback();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- users

Store::CreateUser PostgresStore::create_user(const std::string& username, const std::string& password_hash,
                                             int64_t now_ms, User& out) {
  auto sub = random_bytes(16);
  if (!sub) return CreateUser::failed;
  const std::string sub_text = base64url_encode(sub.value());
  PgLease db(*this);
  if (!db) return CreateUser::failed;
  PgResult r = db->run(
      "INSERT INTO users(sub, username, password_hash, created_at) VALUES($1,$2,$3,$4)"
      " ON CONFLICT DO NOTHING RETURNING id",
      {sub_text, username, password_hash, now_ms});
  if (!r.ok()) return CreateUser::failed;
  if (r.rows() == 0) return CreateUser::exists;
  out = User{r.num(0, 0), sub_text, username, password_hash};
  return CreateUser::created;
}

namespace {

std::optional<User> one_user(PostgresStore& store, const char* where, const Param& arg) {
  PgLease db(store);
  if (!db) return std::nullopt;
  const std::string sql = std::string("SELECT id, sub, username, password_hash FROM users WHERE ") + where;
  PgResult r = db->run(sql.c_str(), {arg});
  if (r.rows() == 0) return std::nullopt;
  return user_of(r);
}

}  // namespace

// Case-insensitive names, as SQLite's COLLATE NOCASE and the unique index on lower(username).
std::optional<User> PostgresStore::user_by_name(const std::string& username) {
  return one_user(*this, "lower(username) = lower($1)", username);
}

std::optional<User> PostgresStore::user_by_sub(const std::string& sub) { return one_user(*this, "sub = $1", sub); }

std::optional<User> PostgresStore::user_by_id(int64_t id) { return one_user(*this, "id = $1", id); }

// ---------------------------------------------------------------- refresh tokens

std::optional<RefreshResult> PostgresStore::start_family(const User& user, const std::string& client_id,
                                                         const std::string& scope, int64_t auth_time,
                                                         int64_t now_ms, int64_t refresh_ttl_ms,
                                                         const std::string& dpop_jkt) {
  auto sid = new_secret();
  auto token = new_secret();
  if (!sid || !token) return std::nullopt;
  PgLease db(*this);
  const bool ok = db.transaction([&](PgConnection& c) {
    c.run("INSERT INTO families(sid, user_id, client_id, scope, auth_time, gen, created_at, dpop_jkt)"
          " VALUES($1,$2,$3,$4,$5,0,$6,$7)",
          {*sid, user.id, client_id, scope, auth_time, now_ms, dpop_jkt});
    c.run("INSERT INTO refresh_tokens(hash, sid, user_id, gen, created_at, expires_at) VALUES($1,$2,$3,0,$4,$5)",
          {Param::bytes(secret_hash(*token)), *sid, user.id, now_ms, now_ms + refresh_ttl_ms});
    return true;
  });
  if (!ok) return std::nullopt;
  RefreshResult r;
  r.status = RefreshStatus::rotated;
  r.token = *token;
  r.family = Family{*sid, user.id, user.sub, client_id, scope, auth_time, dpop_jkt};
  return r;
}

// Rotation across instances: decide_refresh (store.cpp) on what was read, then a
// compare-and-swap on the family row — it moves (or, for a grace sibling, re-checks) the
// generation only if the family is still where it was read, unrevoked and bound to the same
// key. A lost swap means another instance changed the family meanwhile: read again and decide
// again (the loser of a concurrent rotation is a grace sibling, not a thief). The successor's
// insert is guarded by the unique (sid, gen) key of rotations.
RefreshResult PostgresStore::refresh(const std::string& token, int64_t now_ms, int64_t refresh_ttl_ms,
                                     int64_t grace_ms, const std::string& dpop_jkt) {
  RefreshResult r;
  if (!looks_like_secret(token)) {
    r.status = RefreshStatus::unknown;
    return r;
  }
  auto next = new_secret();
  if (!next) return r;
  const Param hash = Param::bytes(secret_hash(token));
  const Param next_hash = Param::bytes(secret_hash(*next));
  PgLease db(*this);
  RefreshStatus status = RefreshStatus::failed;
  const bool ok = db.transaction([&](PgConnection& c) {
    for (int read = 0; read < kMaxAttempts; ++read) {
      PgResult q = c.run(
          "SELECT t.gen, t.expires_at, f.sid, f.user_id, f.client_id, f.scope, f.auth_time, f.gen,"
          " f.rotated_at, f.revoked_at IS NOT NULL, f.dpop_jkt, u.sub FROM refresh_tokens t"
          " JOIN families f ON f.sid = t.sid LEFT JOIN users u ON u.id = f.user_id WHERE t.hash = $1",
          {hash});
      if (!q.ok()) return false;
      if (q.rows() == 0) {
        status = RefreshStatus::unknown;
        return false;
      }
      TokenState state;
      state.token_gen = q.num(0, 0);
      state.token_expires_at_ms = q.num(0, 1);
      r.family.sid = q.text(0, 2);
      r.family.user_id = q.num(0, 3);
      r.family.client_id = q.text(0, 4);
      r.family.scope = q.text(0, 5);
      r.family.auth_time = q.num(0, 6);
      state.family_gen = q.num(0, 7);
      state.family_rotated_at_ms = q.num(0, 8);
      state.family_revoked = q.text(0, 9) == "t";
      state.family_jkt = q.text(0, 10);
      state.user_exists = !q.null(0, 11);
      r.family.sub = q.text(0, 11);

      const RefreshDecision d = decide_refresh(state, now_ms, grace_ms, dpop_jkt);
      r.family.dpop_jkt = d.family_jkt;
      status = d.status;
      using Step = RefreshDecision::Step;
      if (d.step == Step::refuse) return false;
      if (d.step == Step::revoke) {
        c.run("UPDATE families SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL", {now_ms, r.family.sid});
        return true;
      }
      const bool rotate = d.step == Step::rotate;
      PgResult swap = c.run(
          "UPDATE families SET gen = gen + $1, rotated_at = CASE WHEN $1 = 1 THEN $2 ELSE rotated_at END,"
          " dpop_jkt = $3 WHERE sid = $4 AND gen = $5 AND revoked_at IS NULL AND dpop_jkt = $6",
          {rotate ? 1 : 0, now_ms, d.family_jkt, r.family.sid, state.family_gen, state.family_jkt});
      if (!swap.ok()) return false;
      if (swap.affected() == 0) continue;  // moved meanwhile: read again
      const int64_t new_gen = rotate ? state.family_gen + 1 : state.family_gen;
      c.run("UPDATE refresh_tokens SET successor = $1, rotated_at = $2 WHERE hash = $3", {next_hash, now_ms, hash});
      c.run("INSERT INTO refresh_tokens(hash, sid, user_id, gen, created_at, expires_at, sibling)"
            " VALUES($1,$2,$3,$4,$5,$6,$7)",
            {next_hash, r.family.sid, r.family.user_id, new_gen, now_ms, now_ms + refresh_ttl_ms,
             rotate ? "false" : "true"});
      r.token = *next;
      return true;
    }
    status = RefreshStatus::failed;  // the family kept moving: give up rather than guess
    return false;
  });
  r.status = ok ? status : RefreshStatus::failed;
  if (r.status != RefreshStatus::rotated && r.status != RefreshStatus::grace_reissued) r.token.clear();
  return r;
}

bool PostgresStore::revoke_family_of_token(const std::string& token, int64_t now_ms) {
  if (!looks_like_secret(token)) return false;
  PgLease db(*this);
  if (!db) return false;
  PgResult r = db->run(
      "WITH t AS (SELECT sid FROM refresh_tokens WHERE hash = $1),"
      " u AS (UPDATE families SET revoked_at = $2 WHERE sid IN (SELECT sid FROM t) AND revoked_at IS NULL)"
      " SELECT count(*) FROM t",
      {Param::bytes(secret_hash(token)), now_ms});
  return r.rows() == 1 && r.num(0, 0) > 0;
}

int PostgresStore::revoke_user(const std::string& sub, int64_t now_ms) {
  PgLease db(*this);
  int changed = 0;
  db.transaction([&](PgConnection& c) {
    PgResult r = c.run(
        "UPDATE families SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE sub = $2)",
        {now_ms, sub});
    changed = r.affected();
    c.run("DELETE FROM login_sessions WHERE user_id = (SELECT id FROM users WHERE sub = $1)", {sub});
    return true;
  });
  return changed;
}

// ---------------------------------------------------------------- authorization codes

std::optional<std::string> PostgresStore::put_code(const AuthCode& code, int64_t now_ms, int64_t ttl_ms) {
  auto secret = new_secret();
  if (!secret) return std::nullopt;
  PgLease db(*this);
  if (!db) return std::nullopt;
  PgResult r = db->run(
      "INSERT INTO auth_codes(hash, client_id, redirect_uri, code_challenge, scope, nonce, user_id, auth_time,"
      " expires_at, dpop_jkt) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
      {Param::bytes(secret_hash(*secret)), code.client_id, code.redirect_uri, code.code_challenge, code.scope,
       code.nonce, code.user_id, code.auth_time, now_ms + ttl_ms, code.dpop_jkt});
  if (!r.ok()) return std::nullopt;
  return secret;
}

CodeStatus PostgresStore::take_code(const std::string& code, int64_t now_ms, AuthCode& out) {
  if (!looks_like_secret(code)) return CodeStatus::unknown;
  const Param hash = Param::bytes(secret_hash(code));
  PgLease db(*this);
  CodeStatus status = CodeStatus::failed;
  const bool ok = db.transaction([&](PgConnection& c) {
    // Single use across instances: the row is locked until this transaction ends.
    PgResult q = c.run(
        "SELECT client_id, redirect_uri, code_challenge, scope, nonce, user_id, auth_time, expires_at,"
        " used_at IS NOT NULL, sid, dpop_jkt FROM auth_codes WHERE hash = $1 FOR UPDATE",
        {hash});
    if (!q.ok()) return false;
    if (q.rows() == 0) {
      status = CodeStatus::unknown;
      return false;
    }
    out = AuthCode{q.text(0, 0), q.text(0, 1), q.text(0, 2), q.text(0, 3), q.text(0, 4),
                   q.num(0, 5),  q.num(0, 6),  q.text(0, 10)};
    if (q.text(0, 8) == "t") {
      // RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens issued from it.
      if (!q.null(0, 9)) c.run("UPDATE families SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL", {now_ms, q.text(0, 9)});
      status = CodeStatus::reused;
      return true;
    }
    c.run("UPDATE auth_codes SET used_at = $1 WHERE hash = $2", {now_ms, hash});
    status = q.num(0, 7) <= now_ms ? CodeStatus::expired : CodeStatus::ok;
    return true;
  });
  return ok ? status : CodeStatus::failed;
}

void PostgresStore::bind_code_family(const std::string& code, const std::string& sid) {
  PgLease db(*this);
  if (db) db->run("UPDATE auth_codes SET sid = $1 WHERE hash = $2", {sid, Param::bytes(secret_hash(code))});
}

// ---------------------------------------------------------------- login sessions

std::optional<std::string> PostgresStore::create_login_session(int64_t user_id, int64_t auth_time, int64_t now_ms,
                                                               int64_t ttl_ms) {
  auto session = new_secret();
  if (!session) return std::nullopt;
  PgLease db(*this);
  if (!db) return std::nullopt;
  PgResult r = db->run("INSERT INTO login_sessions(hash, user_id, auth_time, expires_at) VALUES($1,$2,$3,$4)",
                       {Param::bytes(secret_hash(*session)), user_id, auth_time, now_ms + ttl_ms});
  if (!r.ok()) return std::nullopt;
  return session;
}

std::optional<User> PostgresStore::login_session_user(const std::string& session, int64_t now_ms, int64_t& auth_time) {
  if (!looks_like_secret(session)) return std::nullopt;
  PgLease db(*this);
  if (!db) return std::nullopt;
  PgResult r = db->run(
      "SELECT u.id, u.sub, u.username, u.password_hash, s.auth_time FROM login_sessions s"
      " JOIN users u ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_at > $2",
      {Param::bytes(secret_hash(session)), now_ms});
  if (r.rows() == 0) return std::nullopt;
  auth_time = r.num(0, 4);
  return user_of(r);
}

// ---------------------------------------------------------------- keys and secrets

std::optional<std::vector<StoredKey>> PostgresStore::signing_keys() {
  std::vector<StoredKey> keys;
  PgLease db(*this);
  if (!db) return std::nullopt;
  PgResult r = db->run("SELECT kid, private_pem, created_at, activate_at, retire_at FROM signing_keys ORDER BY activate_at, kid");
  if (!r.ok()) return std::nullopt;
  for (int i = 0; i < r.rows(); ++i) keys.push_back({r.text(i, 0), r.text(i, 1), r.num(i, 2), r.num(i, 3), r.num(i, 4)});
  return keys;
}

bool PostgresStore::add_signing_key(const StoredKey& key, int64_t retire_others_at_ms) {
  PgLease db(*this);
  bool inserted = false;
  // ON CONFLICT: instances seeding an empty store at once (ensure_signing_keys) insert the same
  // kid; the losers roll back quietly instead of logging a unique violation.
  const bool committed = db.transaction([&](PgConnection& c) {
    if (retire_others_at_ms > 0) {
      c.run("UPDATE signing_keys SET retire_at = $1 WHERE retire_at IS NULL", {retire_others_at_ms});
    }
    inserted = c.run("INSERT INTO signing_keys(kid, private_pem, created_at, activate_at) VALUES($1,$2,$3,$4)"
                     " ON CONFLICT (kid) DO NOTHING",
                     {key.kid, key.private_pem, key.created_at_ms, key.activate_at_ms}).affected() == 1;
    return inserted;  // a kid already stored: nothing changes, the retire times included
  });
  return committed && inserted;
}

bool PostgresStore::seed_signing_key(const StoredKey& key) {
  PgLease db(*this);
  // READ COMMITTED lets two transactions both see an empty table; the lock makes the check
  // and the insert one step for every instance.
  return db.transaction([&](PgConnection& c) {
    c.run("SELECT pg_advisory_xact_lock($1)", {kSigningKeySeedLock});
    c.run("INSERT INTO signing_keys(kid, private_pem, created_at, activate_at)"
          " SELECT $1,$2,$3,$4 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
          {key.kid, key.private_pem, key.created_at_ms, key.activate_at_ms});
    return true;
  });
}

std::optional<std::string> PostgresStore::server_secret(const std::string& name, const std::string& fresh) {
  PgLease db(*this);
  if (!db) return std::nullopt;
  db->run("INSERT INTO server_secrets(name, value) VALUES($1,$2) ON CONFLICT DO NOTHING", {name, Param::bytes(fresh)});
  PgResult r = db->run("SELECT encode(value, 'base64') FROM server_secrets WHERE name = $1", {name});
  if (r.rows() == 0) return std::nullopt;
  std::string b64;
  for (char ch : r.text(0, 0)) if (ch != '\n') b64 += ch == '+' ? '-' : ch == '/' ? '_' : ch;
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  auto raw = base64url_decode(b64);
  if (!raw.ok()) return std::nullopt;
  return raw.value();
}

// ---------------------------------------------------------------- shared state

SharedState::JtiRecord PostgresStore::record_jti(const std::string& key, int64_t expires_at_ms, int64_t now_ms) {
  PgLease db(*this);
  if (!db) return JtiRecord::failed;
  // A row past its expiry is free to take again (cleanup may not have run yet).
  PgResult r = db->run(
      "INSERT INTO dpop_jti(key, expires_at) VALUES($1,$2) ON CONFLICT (key) DO UPDATE SET expires_at = $2"
      " WHERE dpop_jti.expires_at <= $3 RETURNING 1",
      {Param::bytes(key), expires_at_ms, now_ms});
  if (!r.ok()) return JtiRecord::failed;
  return r.rows() == 1 ? JtiRecord::fresh : JtiRecord::replay;
}

// A token bucket per key, as rate_limit.hpp's, in one transaction with its row locked: refilled
// by the time since the last take, never above `burst`, one token taken if there is one.
bool PostgresStore::take_rate_token(const std::string& key, int burst, double per_minute, int64_t now_ms,
                                    int& retry_after_s) {
  retry_after_s = 1;
  PgLease db(*this);
  if (!db) return false;
  const double per_ms = per_minute / 60000.0;
  double level = 0;
  const bool ok = db.transaction([&](PgConnection& c) {
    c.run("INSERT INTO rate_buckets(key, tokens, updated_at) VALUES($1,$2,$3) ON CONFLICT DO NOTHING",
          {key, burst, now_ms});
    PgResult r = c.run("SELECT tokens, updated_at FROM rate_buckets WHERE key = $1 FOR UPDATE", {key});
    if (r.rows() != 1) return false;
    const double elapsed = double(now_ms > r.num(0, 1) ? now_ms - r.num(0, 1) : 0);
    level = std::min(double(burst), r.real(0, 0) + elapsed * per_ms);
    c.run("UPDATE rate_buckets SET tokens = $1, updated_at = $2 WHERE key = $3",
          {level >= 1 ? level - 1 : level, now_ms, key});
    return true;
  });
  if (!ok) return false;
  if (level >= 1) return true;
  retry_after_s = per_ms > 0 ? int(std::ceil((1 - level) / per_ms / 1000.0)) : 60;
  if (retry_after_s < 1) retry_after_s = 1;
  return false;
}

// ---------------------------------------------------------------- maintenance

int PostgresStore::cleanup(int64_t now_ms) {
  PgLease db(*this);
  int removed = 0;
  db.transaction([&](PgConnection& c) {
    removed = 0;
    // As store_sqlite.cpp's cleanup, plus the shared state's expired rows and retired keys.
    const char* const purge[] = {
        "DELETE FROM refresh_tokens WHERE expires_at <= $1",
        "DELETE FROM families WHERE revoked_at IS NOT NULL AND revoked_at <= $1",
        "DELETE FROM families f WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.sid = f.sid)"
        " AND created_at <= $1",
        "DELETE FROM auth_codes WHERE expires_at <= $1 - 600000",
        "DELETE FROM login_sessions WHERE expires_at <= $1",
        "DELETE FROM dpop_jti WHERE expires_at <= $1",
        "DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= $1",
    };
    for (const char* sql : purge) removed += c.run(sql, {now_ms}).affected();
    return true;
  });
  return removed;
}

}  // namespace authwasm::server
