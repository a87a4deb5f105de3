// The verifier module links libcrypto-lean.a (scripts/build-openssl-wasm.sh): libcrypto.a
// without the members through which OpenSSL 3 reaches its provider machinery (err, err_blocks,
// rand_lib, digest, evp_fetch, init, provider_core, self_test_core). The BN functions that
// src/jose/jws_bn_verify.cpp uses still report failures (allocation, division by zero) through
// ERR_raise, which is these three calls; err.c's versions would pull OPENSSL_init_crypto and
// with it the providers. Here they record nothing: every BN failure is also a return value,
// which the caller checks. Nothing else is needed: a link that needs more fails with an
// undefined symbol rather than getting a weak substitute.
//
// scripts/check-wasm-symbols.sh allows exactly the names marked "stub:" below; any other
// EVP_/ERR_/RAND_/OBJ_/provider function in the verifier's wasm fails the build.
extern "C" {
void ERR_new(void) {}                                 // stub: ERR_new
void ERR_set_debug(const char*, int, const char*) {}  // stub: ERR_set_debug
void ERR_set_error(int, int, const char*, ...) {}     // stub: ERR_set_error
}
