#include "key_ring.hpp"

#include <cstdio>
#include <tuple>

#include "base/base64url.hpp"
#include "clock.hpp"

namespace authwasm::server {
namespace {

std::string encoded_header(const std::string& kid, const char* typ) {
  return base64url_encode(dump_json(Json{{"alg", "ES256"}, {"typ", typ}, {"kid", kid}}));
}

// Minimum time between two reloads caused by unknown kids: a stream of made-up kids costs the
// store at most one read a second.
constexpr int64_t kUnknownKidReloadMs = 1000;

}  // namespace

bool key_published(const StoredKey& key, int64_t now_ms) {
  return key.created_at_ms <= now_ms && (key.retire_at_ms == 0 || now_ms < key.retire_at_ms);
}

bool signs_over(const StoredKey& key, const StoredKey* best, int64_t now_ms) {
  if (!key_published(key, now_ms) || key.activate_at_ms > now_ms) return false;
  return !best || std::tie(key.activate_at_ms, key.created_at_ms, key.kid) >
                      std::tie(best->activate_at_ms, best->created_at_ms, best->kid);
}

const KeyRing::Entry* KeyRing::Snapshot::signing(int64_t now_ms) const {
  // A handful of keys: a scan per signature costs far less than the signature.
  const auto index = signing_key_index(entries, [](const Entry& e) -> const StoredKey& { return e.times; }, now_ms);
  return index ? &entries[*index] : nullptr;
}

const KeyRing::Entry* KeyRing::Snapshot::published(const std::string& kid, int64_t now_ms) const {
  for (const Entry& e : entries) {
    if (e.times.kid == kid) return key_published(e.times, now_ms) ? &e : nullptr;
  }
  return nullptr;
}

bool KeyRing::Snapshot::knows(const std::string& kid) const {
  for (const Entry& e : entries) {
    if (e.times.kid == kid) return true;
  }
  return false;
}

Json KeyRing::Snapshot::jwks(int64_t now_ms) const {
  Json keys = Json::array();
  for (const Entry& e : entries) {
    if (key_published(e.times, now_ms)) keys.push_back(e.key->public_jwk());
  }
  return Json{{"keys", keys}};
}

KeyRing::~KeyRing() { stop(); }

bool KeyRing::install(const std::vector<StoredKey>& keys, std::string& error, bool* dropped) {
  if (keys.empty()) {
    error = "the store holds no signing key";
    return false;
  }
  auto next = std::make_shared<Snapshot>();
  std::vector<JwsKey> verify_keys;
  for (const StoredKey& stored : keys) {
    std::unique_ptr<SigningKey> key = SigningKey::from_pem(stored.private_pem, "signing key " + stored.kid, error);
    if (!key) return false;
    if (key->kid() != stored.kid) {
      error = "signing key " + stored.kid + " is stored under a kid that is not its thumbprint (" + key->kid() + ")";
      return false;
    }
    auto jws_key = JwsKey::from_jwk(key->public_jwk());
    if (!jws_key) {
      error = "signing key " + stored.kid + ": " + jws_key.error().message;
      return false;
    }
    verify_keys.push_back(std::move(jws_key).value());
    Entry entry;
    entry.times = stored;
    entry.times.private_pem.clear();
    entry.access_header = encoded_header(stored.kid, kAccessTokenTyp);
    entry.id_header = encoded_header(stored.kid, kIdTokenTyp);
    entry.key = std::move(key);
    next->entries.push_back(std::move(entry));
  }
  next->verify_keys = JwkSet::of(std::move(verify_keys));
  std::shared_ptr<const Snapshot> previous = snapshot();
  if (dropped) {
    *dropped = false;
    if (previous) {
      for (const Entry& e : previous->entries) *dropped = *dropped || !next->knows(e.times.kid);
    }
  }
  std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(std::move(next)));
  return true;
}

bool KeyRing::reload(std::string& error) {
  if (!store_) {
    error = "no store";
    return false;
  }
  std::lock_guard<std::mutex> lock(reload_mutex_);
  auto keys = store_->signing_keys();
  if (!keys) {
    error = "cannot read the signing keys from the store";
    return false;
  }
  bool dropped = false;
  if (!install(*keys, error, &dropped)) return false;
  if (dropped && on_dropped_) on_dropped_();
  return true;
}

bool KeyRing::reload_for_unknown_kid(const std::string& kid, int64_t now_ms) {
  if (snapshot()->knows(kid)) return true;
  if (!store_) return false;
  int64_t last = last_kid_reload_ms_.load();
  if (now_ms - last < kUnknownKidReloadMs || !last_kid_reload_ms_.compare_exchange_strong(last, now_ms)) {
    return false;  // another request reloads (or just did) for this reason
  }
  std::string error;
  if (!reload(error)) std::fprintf(stderr, "authwasm-server: signing keys not reloaded: %s\n", error.c_str());
  return snapshot()->knows(kid);
}

void KeyRing::start_reloading(int64_t interval_ms) {
  stopping_ = false;
  thread_ = std::thread([this, interval_ms] {
    bool failing = false;  // one line when reloads start failing, one when they work again
    std::unique_lock<std::mutex> lock(thread_mutex_);
    while (!thread_cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_; })) {
      lock.unlock();
      std::string error;
      const bool ok = reload(error);
      if (!ok && !failing) std::fprintf(stderr, "authwasm-server: signing keys not reloaded: %s\n", error.c_str());
      if (ok && failing) std::fprintf(stderr, "authwasm-server: signing keys reloaded again\n");
      failing = !ok;
      lock.lock();
    }
  });
}

void KeyRing::stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mutex_);
    stopping_ = true;
  }
  thread_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::vector<StoredKey>> ensure_signing_keys(Store& store, const std::string& key_file,
                                                          std::string& error) {
  auto keys = store.signing_keys();
  if (!keys) {
    error = "cannot read the signing keys from the store";
    return std::nullopt;
  }
  if (!keys->empty()) return keys;
  std::unique_ptr<SigningKey> key = SigningKey::load_or_create(key_file, error);
  if (!key) return std::nullopt;
  // Another instance may have seeded the store since we looked: then its key stays the only one.
  if (!store.seed_signing_key(StoredKey{key->kid(), key->private_pem(), 0, 0, 0})) {
    error = "cannot store the signing key of " + key_file;
    return std::nullopt;
  }
  keys = store.signing_keys();
  if (!keys || keys->empty()) {
    error = "cannot store the signing key of " + key_file;
    return std::nullopt;
  }
  return keys;
}

RotationPlan plan_rotation(int64_t now_ms, int64_t promote_after_ms, int64_t longest_token_lifetime_ms,
                           int64_t margin_ms) {
  const int64_t activate = now_ms + promote_after_ms;
  return RotationPlan{now_ms, activate, activate + longest_token_lifetime_ms + margin_ms};
}

}  // namespace authwasm::server
