// Login rate limiting: a token bucket per key (username + client IP), in memory.
// Restarting the server resets it; that is acceptable for a reference server (the argon2id
// cost already bounds guessing speed) and keeps the hot path free of database writes.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace authwasm::server {

class RateLimiter {
 public:
  RateLimiter(int burst, double per_minute) : burst_(burst), per_second_(per_minute / 60.0) {}

  // Takes one token for `key`; false when the bucket is empty. `retry_after` gets the seconds
  // until a token is available (for the Retry-After header).
  bool allow(const std::string& key, int& retry_after);
  // Drops full buckets (they carry no information); called by the cleanup thread.
  void prune();

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  void refill(Bucket& b, std::chrono::steady_clock::time_point now) const;

  int burst_;
  double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace authwasm::server
