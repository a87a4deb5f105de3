// Persistent state: users, refresh-token families, authorization codes and browser login
// sessions, behind one interface so routes do not care which store holds them. Every secret
// (refresh token, code, session id) is stored only as its SHA-256 hash, so a copy of the
// database gives an attacker nothing to present.
// Time: every `now_ms`, lifetime (`*_ttl_ms`, `grace_ms`) and stored instant is in
// milliseconds (clock.hpp); only `auth_time` is whole seconds, since it becomes the OIDC claim.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace authwasm::server {

class SharedState;

struct User {
  int64_t id = 0;
  std::string sub;       // opaque, stable subject identifier (OIDC Core §2)
  std::string username;
  std::string password_hash;  // argon2id encoded string
};

struct Family {            // one login = one refresh-token family; its id is the `sid` claim
  std::string sid;
  int64_t user_id = 0;
  std::string sub;
  std::string client_id;
  std::string scope;
  int64_t auth_time = 0;  // seconds (the ID token's auth_time claim)
  std::string dpop_jkt;   // RFC 9449 §5: the key its refresh tokens are bound to ("" unbound)
};

enum class RefreshStatus {
  rotated,          // the current token: a successor was issued (RFC 9700 §4.14.2)
  grace_reissued,   // the immediate predecessor within the grace window (server/README.md)
  unknown,          // never issued, or already purged
  expired,          // past its own expiry
  revoked,          // its family was revoked earlier (logout, logout-all, reuse)
  reuse_detected,   // an older token, or the predecessor after the window: family revoked now
  dpop_key_mismatch,  // a DPoP-bound family with a proof of another key: family revoked now
  dpop_proof_missing, // a DPoP-bound family without a proof: refused, nothing changed
  failed,           // database error (a failed statement or commit: nothing of it persisted)
  timed_out,        // not answered by the store in time (SqliteStore's group commit, kBatchWaitMs):
                    // refused, or in doubt if the store was working on it (server/README.md)
};

struct RefreshResult {
  RefreshStatus status = RefreshStatus::failed;
  std::string token;  // the new refresh token (rotated / grace_reissued)
  Family family;
};

// What a refresh request finds in the store, read inside its transaction.
struct TokenState {
  int64_t token_gen = 0, token_expires_at_ms = 0;
  int64_t family_gen = 0, family_rotated_at_ms = 0;  // rotated_at: 0 before the first rotation
  bool family_revoked = false;
  bool user_exists = true;
  std::string family_jkt;  // the family's DPoP key thumbprint, "" unbound
};

// What to do with it: the rotation rules of server/README.md ("Refresh-token rotation"), one
// implementation for every store. `status` is the answer when `step` is refuse or revoke.
struct RefreshDecision {
  enum class Step {
    refuse,   // answer `status`, change nothing
    revoke,   // revoke the family, answer `status` (reuse_detected, dpop_key_mismatch)
    rotate,   // the current token: the family moves to generation family_gen + 1
    reissue,  // the predecessor in the grace window: another token of family_gen
  };
  Step step = Step::refuse;
  RefreshStatus status = RefreshStatus::failed;
  std::string family_jkt;  // after the request: an unbound family is bound by its first proof
};
RefreshDecision decide_refresh(const TokenState& state, int64_t now_ms, int64_t grace_ms,
                               const std::string& dpop_jkt);

struct AuthCode {
  std::string client_id, redirect_uri, code_challenge, scope, nonce;
  int64_t user_id = 0;
  int64_t auth_time = 0;
  std::string dpop_jkt;  // RFC 9449 §10: the exchange must prove this key ("" any or none)
};

enum class CodeStatus { ok, unknown, expired, reused, failed };

// An ES256 signing key as stored (key_ring.hpp, KeyRing): published in the JWKS from
// `created_at_ms`, signing from `activate_at_ms`, neither from `retire_at_ms` on (0: not set).
// `private_pem` is the private key: the store holds the secret (server/README.md "Signing keys
// and rotation").
struct StoredKey {
  std::string kid, private_pem;
  int64_t created_at_ms = 0, activate_at_ms = 0, retire_at_ms = 0;
};

// Counters of a store's group commit and checkpoints (SqliteStore; /debug/stats "store").
struct StoreStats {
  long refreshes = 0;         // refreshes committed or failed in batches
  long batches = 0;           // their transactions
  long largest_batch = 0;
  long failed_batches = 0;    // not committed (BEGIN or COMMIT failed): all of its refreshes failed
  long timed_out = 0;         // callers that stopped waiting (RefreshStatus::timed_out)
  long checkpoints = 0;       // WAL checkpoint passes off the request path
  long held_checkpoints = 0;  // of which holding the store (the WAL had kRestartFrames frames)
};

// What routes need from persistent state, whatever holds it (server/README.md "Stores").
// Implementations: SqliteStore (store_sqlite.hpp), PostgresStore (store_postgres.hpp). Every
// operation is one transaction, except that SqliteStore commits concurrent refreshes together
// (each under a savepoint; none returns before that commit).
class Store {
 public:
  virtual ~Store() = default;

  // Users.
  enum class CreateUser { created, exists, failed };
  virtual CreateUser create_user(const std::string& username, const std::string& password_hash, int64_t now_ms,
                         User& out) = 0;
  virtual std::optional<User> user_by_name(const std::string& username) = 0;
  virtual std::optional<User> user_by_sub(const std::string& sub) = 0;
  virtual std::optional<User> user_by_id(int64_t id) = 0;

  // Refresh-token families.
  virtual std::optional<RefreshResult> start_family(const User& user, const std::string& client_id,
                                            const std::string& scope, int64_t auth_time,
                                            int64_t now_ms, int64_t refresh_ttl_ms,
                                            const std::string& dpop_jkt = "") = 0;
  // The grace window is [rotation, rotation + grace_ms): grace_ms == 0 makes any
  // re-presentation of a rotated token reuse. `dpop_jkt` is the thumbprint of the request's
  // verified DPoP proof ("" without one): a bound family needs the same key; an unbound
  // family is bound by its first refresh with a proof (server/README.md "DPoP").
  virtual RefreshResult refresh(const std::string& token, int64_t now_ms, int64_t refresh_ttl_ms, int64_t grace_ms,
                        const std::string& dpop_jkt = "") = 0;
  // Revokes the family `token` belongs to; returns false if the token is unknown.
  virtual bool revoke_family_of_token(const std::string& token, int64_t now_ms) = 0;
  // Revokes every family and login session of the user; returns the number of families.
  virtual int revoke_user(const std::string& sub, int64_t now_ms) = 0;

  // Authorization codes (RFC 6749 §4.1.2): single use, short-lived.
  virtual std::optional<std::string> put_code(const AuthCode& code, int64_t now_ms, int64_t ttl_ms) = 0;
  // Marks the code used. A second use revokes the family it produced (RFC 6749 §4.1.2).
  virtual CodeStatus take_code(const std::string& code, int64_t now_ms, AuthCode& out) = 0;
  virtual void bind_code_family(const std::string& code, const std::string& sid) = 0;

  // Browser login sessions (cookie on /authorize).
  virtual std::optional<std::string> create_login_session(int64_t user_id, int64_t auth_time, int64_t now_ms,
                                                  int64_t ttl_ms) = 0;
  virtual std::optional<User> login_session_user(const std::string& session, int64_t now_ms, int64_t& auth_time) = 0;

  // Signing keys every instance shares (server/README.md "Signing keys and rotation"): all
  // stored rows, ordered by activate_at then kid; nullopt on a database error (which is not
  // "no keys": a reload must not drop every key because the database blinked).
  virtual std::optional<std::vector<StoredKey>> signing_keys() = 0;
  // Adds `key`; every other key without a retire time gets `retire_others_at_ms` (0: none).
  // False on a database error or when the kid is already stored (nothing changes then).
  virtual bool add_signing_key(const StoredKey& key, int64_t retire_others_at_ms) = 0;
  // Stores `key` only if the store holds no signing key at all, atomically with respect to
  // every other instance doing the same (the bootstrap of key_ring.hpp, when several instances
  // start on an empty database with different key files). False on a database error only.
  virtual bool seed_signing_key(const StoredKey& key) = 0;
  // The secret stored under `name`, storing `fresh` first if there is none (one value for
  // every instance: DPoP nonces). nullopt on a database error.
  virtual std::optional<std::string> server_secret(const std::string& name, const std::string& fresh) = 0;

  // Deletes expired and revoked rows (and retired keys); returns the number of rows removed.
  virtual int cleanup(int64_t now_ms) = 0;

  // Replay record and rate limits shared by every instance, or nullptr when this store
  // serves one instance (shared_state.hpp).
  virtual SharedState* shared_state() { return nullptr; }
  // Group-commit and checkpoint counters, where the store has them.
  virtual std::optional<StoreStats> stats() { return std::nullopt; }
};

// 256 random bits, base64url (43 characters): refresh tokens, codes, session ids.
std::optional<std::string> new_secret();
// The stored form of a secret: its SHA-256 (32 raw bytes).
std::string secret_hash(const std::string& secret);
// Shape check before hashing anything a client sent.
bool looks_like_secret(const std::string& s);

// Opens the store `spec` names (--store): "sqlite:PATH", "postgres://…" (or "postgresql://…"),
// or "" for DATA_DIR/authwasm.sqlite3. `pool_size`: PostgreSQL connections at most. Creates or
// upgrades its schema; on failure returns nullptr and says why in `error`.
std::unique_ptr<Store> open_store(const std::string& spec, const std::string& data_dir, int pool_size,
                                  std::string& error);
// "" when `spec` is a store this build can open, else why not (a configuration error).
std::string check_store_spec(const std::string& spec);

}  // namespace authwasm::server
