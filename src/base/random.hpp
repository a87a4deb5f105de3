// Random bytes from the operating system's CSPRNG.
#pragma once
#include <cstddef>
#include <string>

#include "base/result.hpp"

namespace authwasm {

// getentropy(3): natively the kernel's getrandom(); under Emscripten crypto.getRandomValues()
// in browsers and node:crypto in Node. That is the source OpenSSL's DRBG would seed from;
// going through RAND_bytes instead would link OpenSSL's whole default provider (~400 KB gzip
// of wasm) for no gain in quality. See README "Why these OpenSSL entry points".
Result<std::string> random_bytes(std::size_t count);

}  // namespace authwasm
