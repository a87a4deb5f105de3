// The public-key arithmetic behind jws_verify.cpp, in two interchangeable implementations:
//   jws_evp_verify.cpp — OpenSSL's EVP layer (native: the reference server, the tests);
//   jws_bn_verify.cpp  — only BN and EC_POINT arithmetic, the verification equations written
//                        out (the wasm verifier module: EVP would link OpenSSL's default
//                        provider, ~400 KB gzip; scripts/check-wasm-symbols.sh keeps it out).
// jws_verify.cpp does every JWK/JWS check that needs no arithmetic (lengths, kty/alg/use,
// kid selection, the RSA size limits) before it calls these.
#pragma once
#include <memory>
#include <string_view>

#include "base/result.hpp"

namespace authwasm {

struct JwsPublicKey;  // defined by the implementation
using JwsPublicKeyPtr = std::shared_ptr<const JwsPublicKey>;

// RFC 7518 §6.2.1: x and y are 32-byte big-endian coordinates. Refuses coordinates ≥ p and
// points not on P-256 (SEC 1 §3.2.2.1; invalid-curve attacks).
Result<JwsPublicKeyPtr> p256_public_key(std::string_view x, std::string_view y);

// RFC 7518 §6.3.1: n and e big-endian, already checked by the caller (n odd, 2048–16384 bits,
// e odd and > 1).
Result<JwsPublicKeyPtr> rsa_public_key(std::string_view n, std::string_view e);

// RFC 7518 §3.4: ECDSA P-256 with SHA-256; `r_s` is R || S, exactly 64 bytes (checked by the
// caller). r and s outside [1, n-1] are refused (SEC 1 §4.1.4 step 1).
bool es256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view r_s);

// RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2): the signature is exactly
// k bytes (the modulus length), < n, and s^e mod n is exactly EMSA-PKCS1-v1_5(SHA-256(input)).
bool rs256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view signature);

}  // namespace authwasm
