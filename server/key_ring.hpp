// The signing keys every instance shares (issue 15; server/README.md "Signing keys and
// rotation"). The store holds them (signing_keys, with their private keys); each instance keeps
// an immutable snapshot of the set, reloaded every --key-reload seconds and when an access
// token names a kid the snapshot does not know (at most once a second), so a key staged by
// `authwasm-server keys rotate` (or another instance) reaches every instance before it signs.
//
// A key's life, all instants in milliseconds (StoredKey, store.hpp):
//   published  created_at <= now < retire_at (no retire_at: for ever): in the JWKS, and access
//              tokens signed by it verify;
//   signing    the published key with the greatest activate_at <= now (ties: the greater
//              created_at, then the greater kid, so every instance picks the same one);
//   retired    now >= retire_at: neither (cleanup deletes the row later).
// The rules depend on the time, not on when the snapshot was loaded: every instance switches
// to a new key at its activate_at by its own clock, whatever its reload phase.
//
// Thread-safety: readers take the current snapshot (std::atomic_load of a shared_ptr to const:
// no lock of ours, no per-signature lock) and use it for the whole request; a reload builds a
// new snapshot and swaps it in.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "jose/jws_verify.hpp"
#include "keys.hpp"
#include "store.hpp"

namespace authwasm::server {

constexpr char kAccessTokenTyp[] = "at+jwt";  // RFC 9068 §2.1
constexpr char kIdTokenTyp[] = "JWT";         // OIDC Core §2 (RFC 7519 §5.1)

// The selection rules above, on stored rows (pure: the unit tests hold their edges).
bool key_published(const StoredKey& key, int64_t now_ms);
// Whether `key` may sign at `now_ms` (published and activated) and outranks `best` (nullptr:
// none yet) as the signing key.
bool signs_over(const StoredKey& key, const StoredKey* best, int64_t now_ms);
// Index of the signing key among `items` (`times(item)` gives its StoredKey), or nullopt when no
// published key is active yet.
template <class T, class Times>
std::optional<std::size_t> signing_key_index(const std::vector<T>& items, Times times, int64_t now_ms) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (signs_over(times(items[i]), best ? &times(items[*best]) : nullptr, now_ms)) best = i;
  }
  return best;
}
inline std::optional<std::size_t> signing_key_index(const std::vector<StoredKey>& keys, int64_t now_ms) {
  return signing_key_index(keys, [](const StoredKey& k) -> const StoredKey& { return k; }, now_ms);
}

class KeyRing {
 public:
  struct Entry {
    StoredKey times;                   // kid and instants; private_pem is cleared
    std::shared_ptr<const SigningKey> key;
    std::string access_header, id_header;  // BASE64URL(JOSE header) for this kid, RFC 7515 §7.1
  };
  struct Snapshot {
    std::vector<Entry> entries;  // as the store ordered them
    JwkSet verify_keys;          // every entry's public key; published() is checked per token
    // The signing entry at `now_ms` (signing_key_index), or nullptr.
    const Entry* signing(int64_t now_ms) const;
    // The entry with this kid if it is published at `now_ms`, else nullptr.
    const Entry* published(const std::string& kid, int64_t now_ms) const;
    bool knows(const std::string& kid) const;
    // {"keys": [public JWK of every published key]} (RFC 7517 §5).
    Json jwks(int64_t now_ms) const;
  };

  // `store` may be null (a fixed set, for tests: install() only).
  explicit KeyRing(Store* store) : store_(store), snapshot_(std::make_shared<const Snapshot>()) {}
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Builds a snapshot from `keys` and swaps it in. False (and the old snapshot stays) if a
  // private key does not parse or `keys` is empty. `dropped`: whether a kid of the previous
  // snapshot is gone (the caller forgets verified tokens then).
  bool install(const std::vector<StoredKey>& keys, std::string& error, bool* dropped = nullptr);
  // Reads the store and installs what it holds. On a database error keeps the old snapshot.
  bool reload(std::string& error);
  // A token named `kid`, which the snapshot does not know: reload, unless a reload for this
  // reason ran less than a second ago or one is running. True if `kid` is known afterwards.
  bool reload_for_unknown_kid(const std::string& kid, int64_t now_ms);

  std::shared_ptr<const Snapshot> snapshot() const { return std::atomic_load(&snapshot_); }

  // Runs reload() every `interval_ms` on a thread of its own until stop() (or destruction);
  // a failed reload prints one line on stderr and keeps the keys.
  void start_reloading(int64_t interval_ms);
  void stop();

  // Runs after a reload that dropped a kid (TokenIssuer: forget verified tokens). Set it
  // before any reload can run.
  void on_dropped(std::function<void()> callback) { on_dropped_ = std::move(callback); }

 private:
  Store* store_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<int64_t> last_kid_reload_ms_{0};
  std::function<void()> on_dropped_;
  std::mutex thread_mutex_;
  std::condition_variable thread_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// Bootstrap (server start and `keys rotate`): a store without keys gets the key of `key_file`
// (created there if missing, as the first servers did), published and signing from 0, so a
// restart keeps validating tokens signed with the file's key. Several instances starting at
// once may all try; the first seed wins (Store::seed_signing_key) and the others read it, even
// with key files of their own. Returns the store's keys;
// nullopt with `error` on failure (exit 1).
std::optional<std::vector<StoredKey>> ensure_signing_keys(Store& store, const std::string& key_file,
                                                          std::string& error);

// Parameters of a rotation (`keys rotate`), milliseconds.
struct RotationPlan {
  int64_t created_at_ms, activate_at_ms, retire_others_at_ms;
};
// The new key is published at `now_ms`, signs from now + promote_after, and the keys it
// replaces stop being published at activate + longest_token_lifetime + margin: every token they
// signed (before activate, by construction) has expired by then.
RotationPlan plan_rotation(int64_t now_ms, int64_t promote_after_ms, int64_t longest_token_lifetime_ms,
                           int64_t margin_ms);

}  // namespace authwasm::server
