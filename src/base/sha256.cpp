#include "base/sha256.hpp"

// The low-level SHA256_Init/Update/Final are deprecated in OpenSSL 3 but are the only entry
// points that do not drag in the provider machinery (EVP_*, even the one-shot SHA256()):
// ~850 KB of wasm against a few KB. See README "Why these OpenSSL entry points".
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace authwasm {

std::string sha256(std::string_view data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256_Final(reinterpret_cast<unsigned char*>(digest.data()), &ctx);
  return digest;
}

}  // namespace authwasm
