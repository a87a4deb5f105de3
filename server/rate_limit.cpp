#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace authwasm::server {

void RateLimiter::refill(Bucket& b, std::chrono::steady_clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min<double>(burst_, b.tokens + elapsed * per_second_);
  b.last = now;
}

bool RateLimiter::allow(const std::string& key, int& retry_after) {
  if (shared_) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    return shared_->take_rate_token(name_ + "|" + key, burst_, per_second_ * 60.0, now_ms, retry_after);
  }
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  if (buckets_.size() > 100000) buckets_.clear();  // memory bound under a flood of new keys
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{double(burst_), now});
  Bucket& b = it->second;
  if (!inserted) refill(b, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  retry_after = int(std::ceil((1.0 - b.tokens) / per_second_));
  return false;
}

void RateLimiter::prune() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace authwasm::server
