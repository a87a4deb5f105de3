#include "access_cache.hpp"

#include <algorithm>
#include <mutex>

#include "base/sha256.hpp"

namespace authwasm::server {

AccessTokenCache::Key AccessTokenCache::key_of(std::string_view token) {
  const std::string digest = sha256(token);
  Key key{};
  std::memcpy(key.data(), digest.data(), std::min(digest.size(), key.size()));
  return key;
}

std::optional<AccessClaims> AccessTokenCache::find(const Key& key, int64_t now) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || access_token_time_refusal(it->second.exp, it->second.iat, now)) return std::nullopt;
  return it->second;
}

void AccessTokenCache::insert(const Key& key, const AccessClaims& claims, int64_t now) {
  if (capacity_ == 0) return;
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (entries_.count(key)) return;
  // The front is dropped while the cache is full or the front has expired (exp <= now, the
  // rule of access_token_time_refusal): it would never be answered again.
  while (!order_.empty() && (entries_.size() >= capacity_ || order_.front().exp <= now)) {
    entries_.erase(order_.front().key);
    order_.pop_front();
  }
  entries_.emplace(key, claims);
  order_.push_back(Inserted{key, claims.exp});
}

void AccessTokenCache::clear() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  entries_.clear();
  order_.clear();
}

std::size_t AccessTokenCache::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace authwasm::server
