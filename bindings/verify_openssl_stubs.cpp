// The verifier module links libcrypto-lean.a (scripts/build-openssl-wasm.sh): libcrypto.a
// without the members through which OpenSSL 3 reaches its provider machinery (err, err_blocks,
// rand_lib, digest, evp_fetch, init, provider_core, self_test_core). These stand in for the
// entry points of those members that BN/EC code still names on paths jws_bn_verify.cpp does
// not take (error reporting, blinding randomness, nonce derivation for signing). Each fails
// safely: error reporting does nothing, randomness and digests are refused, so a path that
// did need them returns an error instead of using a weak substitute.
//
// scripts/check-wasm-symbols.sh allows exactly the names marked "stub:" below; any other
// EVP_/ERR_/RAND_/OBJ_/provider symbol in the verifier's wasm fails the build.
#include <cstddef>

extern "C" {
struct EVP_MD;
struct EVP_MD_CTX;
struct OSSL_LIB_CTX;
struct ENGINE;

// Errors (crypto/err/err.c, err_blocks.c): ERR_raise's three calls and the mark functions.
void ERR_new(void) {}                                                       // stub: ERR_new
void ERR_set_debug(const char*, int, const char*) {}                        // stub: ERR_set_debug
void ERR_set_error(int, int, const char*, ...) {}                           // stub: ERR_set_error
int ERR_set_mark(void) { return 0; }                                        // stub: ERR_set_mark
int ERR_pop_to_mark(void) { return 0; }                                     // stub: ERR_pop_to_mark

// Randomness (crypto/rand/rand_lib.c → the DRBG provider): refused.
int RAND_bytes_ex(OSSL_LIB_CTX*, unsigned char*, size_t, unsigned int) { return 0; }       // stub: RAND_bytes_ex
int RAND_priv_bytes_ex(OSSL_LIB_CTX*, unsigned char*, size_t, unsigned int) { return 0; }  // stub: RAND_priv_bytes_ex

// Digests by fetch (crypto/evp/digest.c, evp_fetch.c → the default provider): none exist.
EVP_MD* EVP_MD_fetch(OSSL_LIB_CTX*, const char*, const char*) { return nullptr; }  // stub: EVP_MD_fetch
void EVP_MD_free(EVP_MD*) {}                                                       // stub: EVP_MD_free
EVP_MD_CTX* EVP_MD_CTX_new(void) { return nullptr; }                               // stub: EVP_MD_CTX_new
void EVP_MD_CTX_free(EVP_MD_CTX*) {}                                               // stub: EVP_MD_CTX_free
int EVP_DigestInit_ex(EVP_MD_CTX*, const EVP_MD*, ENGINE*) { return 0; }           // stub: EVP_DigestInit_ex
int EVP_DigestUpdate(EVP_MD_CTX*, const void*, size_t) { return 0; }               // stub: EVP_DigestUpdate
int EVP_DigestFinal_ex(EVP_MD_CTX*, unsigned char*, unsigned int*) { return 0; }   // stub: EVP_DigestFinal_ex
}
