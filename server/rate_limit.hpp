// Login rate limiting: a token bucket per key (username + client IP), in memory — or, with
// several instances behind one URL, in the shared store (shared_state.hpp), so the limit is
// the same whichever instance a request reaches. In memory, restarting the server resets it;
// that is acceptable for a reference server (the argon2id cost already bounds guessing speed)
// and keeps a single instance's hot path free of database writes.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "shared_state.hpp"

namespace authwasm::server {

class RateLimiter {
 public:
  RateLimiter(int burst, double per_minute) : burst_(burst), per_second_(per_minute / 60.0) {}
  // Buckets in `shared` from now on, keyed by `name` + key (call before serving).
  void share(SharedState* shared, std::string name) {
    shared_ = shared;
    name_ = std::move(name);
  }

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

  SharedState* shared_ = nullptr;
  std::string name_;
  int burst_;
  double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace authwasm::server
