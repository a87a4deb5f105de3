// A bounded cache of verified access tokens (issue 13): /api/* and /auth/me check an ES256
// signature per request (RFC 7515 §5.2), which was most of their cost. A token that passed
// every check of TokenIssuer::verify_access_token is remembered with its claims, so the next
// request with the same token skips the signature check, and nothing else:
//  - keyed by SHA-256 of the whole token (header, payload and signature), so a token that
//    differs in any byte is a miss and is verified in full; no bearer token is kept in memory,
//    only its hash (as the store keeps secrets, server/README.md "Security notes");
//  - a hit obeys the same clock rule as a full check (access_token_time_refusal, tokens.hpp):
//    an entry whose `exp` has passed (RFC 7519 §4.1.4) is never answered, it is re-verified,
//    which refuses it with the usual description;
//  - only verified claims go in; what the caller checks after verification (DPoP proof with
//    `ath` and `cnf.jkt`, RFC 9449 §7; the --demo expired-token list) still runs on every hit;
//  - at most `capacity` entries: when full, expired entries and then the oldest insertions
//    are dropped first-in first-out (all tokens share one lifetime, so the oldest inserted
//    are roughly the soonest to expire).
// Thread-safe: lookups share a lock; insertions take it alone.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "tokens.hpp"

namespace authwasm::server {

class AccessTokenCache {
 public:
  using Key = std::array<unsigned char, 32>;  // SHA-256 (FIPS 180-4) of the token

  explicit AccessTokenCache(std::size_t capacity) : capacity_(capacity) {}

  static Key key_of(std::string_view token);

  // The claims of a token inserted before, if `now` passes access_token_time_refusal.
  std::optional<AccessClaims> find(const Key& key, int64_t now) const;

  // Remembers the claims of a token that passed every check at `now`. Keeps the first
  // claims if the key is already there (two requests that missed at once).
  void insert(const Key& key, const AccessClaims& claims, int64_t now);

  // Forgets everything (for when the set of verification keys changes).
  void clear();

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct KeyHash {
    std::size_t operator()(const Key& key) const {
      std::size_t h;  // a cryptographic digest: any 8 of its bytes are a uniform hash
      std::memcpy(&h, key.data(), sizeof h);
      return h;
    }
  };
  struct Inserted {
    Key key;
    int64_t exp;
  };

  const std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<Key, AccessClaims, KeyHash> entries_;
  std::deque<Inserted> order_;  // insertion order, oldest first; one element per entry
};

}  // namespace authwasm::server
