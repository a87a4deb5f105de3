// Wall-clock time for the server. The store keeps and compares every instant and lifetime in
// milliseconds (grace window, code, login-session and refresh-token lifetimes, revocation
// times; server/README.md "Time in milliseconds"), so a one-second window lasts one second and
// --grace 0 is strict. JWT claims stay NumericDate, whole seconds (RFC 7519 §2).
#pragma once
#include <chrono>
#include <cstdint>

namespace authwasm::server {

// Milliseconds since the Unix epoch.
inline int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A lifetime given in seconds (the command-line flags) as the store's milliseconds.
constexpr int64_t millis(int64_t seconds) { return seconds * 1000; }

// An instant in milliseconds as a JWT NumericDate (RFC 7519 §2): whole seconds, truncated.
constexpr int64_t numeric_date(int64_t instant_ms) { return instant_ms / 1000; }

}  // namespace authwasm::server
