// Decoding a JWS Compact Serialization JWT (RFC 7515 §7.1, RFC 7519 §7.2) without verifying
// its signature: structure, base64url and JSON checks only.
#pragma once
#include <string>
#include <string_view>

#include "base/json.hpp"
#include "base/result.hpp"

namespace authwasm {

constexpr std::size_t kMaxJwtLength = 16 * 1024;

struct DecodedJwt {
  Json header;                // a JSON object with a string "alg"
  Json claims;                // a JSON object
  std::string signing_input;  // ASCII(BASE64URL(header) || '.' || BASE64URL(payload))
  std::string signature;      // raw bytes (may be empty; "alg":"none" is refused later)
};

Result<DecodedJwt> decode_jwt(std::string_view token);
// The same for a std::string (its data and size read once, here) and a literal.
Result<DecodedJwt> decode_jwt(const std::string& token);
inline Result<DecodedJwt> decode_jwt(const char* token) { return decode_jwt(std::string_view(token)); }

}  // namespace authwasm
