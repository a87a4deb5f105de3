// base64url without padding (RFC 4648 §5), as used by JWS (RFC 7515 §2) and PKCE (RFC 7636).
#pragma once
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace authwasm {

std::string base64url_encode(std::string_view bytes);
// The same for a std::string (its data and size read once, here) and a literal.
std::string base64url_encode(const std::string& bytes);
inline std::string base64url_encode(const char* bytes) { return base64url_encode(std::string_view(bytes)); }

// Strict: only the URL-safe alphabet, no '=' padding, no whitespace, and the unused low bits
// of the last character must be zero (RFC 4648 §3.5), so every byte string has exactly one
// accepted encoding. A length of 1 mod 4 can encode nothing and is refused.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace authwasm
