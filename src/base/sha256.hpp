// SHA-256 (FIPS 180-4) through OpenSSL libcrypto.
#pragma once
#include <string>
#include <string_view>

namespace authwasm {

// Returns the 32-byte digest.
std::string sha256(std::string_view data);

}  // namespace authwasm
