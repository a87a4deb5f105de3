#include "oauth/pkce.hpp"

#include "base/base64url.hpp"
#include "base/constant_time.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"

namespace authwasm {

bool is_valid_pkce_verifier(std::string_view verifier) {
  if (verifier.size() < kPkceMinLength || verifier.size() > kPkceMaxLength) return false;
  for (char c : verifier) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~';
    if (!unreserved) return false;
  }
  return true;
}

Result<PkcePair> create_pkce_pair(std::size_t length) {
  if (length < kPkceMinLength || length > kPkceMaxLength) {
    return make_error(ErrorCode::invalid_argument, "PKCE verifier length must be 43..128");
  }
  // ceil(length * 6 / 8) random bytes encode to at least `length` characters; the encoding
  // maps bytes to characters without bias, so truncation keeps every character uniform.
  auto bytes = random_bytes((length * 6 + 7) / 8);
  if (!bytes) return bytes.error();
  std::string verifier = base64url_encode(bytes.value()).substr(0, length);
  std::string challenge = base64url_encode(sha256(verifier));
  return PkcePair{std::move(verifier), std::move(challenge)};
}

Result<std::string> pkce_challenge(std::string_view verifier) {
  if (!is_valid_pkce_verifier(verifier)) {
    return make_error(ErrorCode::invalid_argument,
                      "PKCE verifier must be 43..128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)");
  }
  return base64url_encode(sha256(verifier));
}

bool pkce_verify(std::string_view verifier, std::string_view challenge) {
  auto expected = pkce_challenge(verifier);
  return expected && constant_time_equals(expected.value(), challenge);
}

}  // namespace authwasm
