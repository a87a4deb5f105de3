// Proof Key for Code Exchange (RFC 7636), S256 only.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace authwasm {

struct PkcePair {
  std::string verifier;
  std::string challenge;  // BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2
};

constexpr std::size_t kPkceMinLength = 43;   // RFC 7636 §4.1
constexpr std::size_t kPkceMaxLength = 128;  // RFC 7636 §4.1
constexpr std::size_t kPkceDefaultLength = 64;

// §4.1: 43..128 characters of the unreserved set [A-Z a-z 0-9 - . _ ~].
bool is_valid_pkce_verifier(std::string_view verifier);

// A verifier of `length` characters drawn uniformly from the base64url alphabet (a subset of
// the unreserved set carrying 6 bits each: the default 64 characters carry 384 bits).
Result<PkcePair> create_pkce_pair(std::size_t length = kPkceDefaultLength);

// §4.2 S256 transform; refuses verifiers that §4.1 does not allow.
Result<std::string> pkce_challenge(std::string_view verifier);

// §4.6, on the server: does `verifier` hash to `challenge`? Constant-time comparison.
bool pkce_verify(std::string_view verifier, std::string_view challenge);

}  // namespace authwasm
