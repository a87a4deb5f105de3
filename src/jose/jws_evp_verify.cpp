// jws_backend.hpp through OpenSSL's EVP layer: the native implementation (reference server,
// tests). Never linked into wasm: EVP brings OpenSSL's whole default provider (~400 KB gzip).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <string>

#include "jose/jws_backend.hpp"

namespace authwasm {

struct JwsPublicKey {
  explicit JwsPublicKey(EVP_PKEY* p) : pkey(p) {}
  ~JwsPublicKey() { EVP_PKEY_free(pkey); }
  JwsPublicKey(const JwsPublicKey&) = delete;
  JwsPublicKey& operator=(const JwsPublicKey&) = delete;
  EVP_PKEY* pkey;
};

namespace {

Error key_error(std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); }

struct CtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct SigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::unique_ptr<BIGNUM, BnFree> to_bn(std::string_view bytes) {
  return std::unique_ptr<BIGNUM, BnFree>(BN_bin2bn(bytes_of(bytes), int(bytes.size()), nullptr));
}

// Builds a public EVP_PKEY of `type` ("EC" / "RSA") from provider parameters.
EVP_PKEY* pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return pkey;
}

// RFC 7518 §3.4: R || S, each a 32-byte big-endian integer, re-encoded as the DER
// ECDSA-Sig-Value that OpenSSL verifies.
std::string ecdsa_raw_to_der(std::string_view raw) {
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!sig) return {};
  BIGNUM* r = BN_bin2bn(bytes_of(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes_of(raw) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return {};
  return der;
}

bool digest_verify(const JwsPublicKey& key, std::string_view input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey) != 1) return false;
  return EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(input), input.size()) == 1;
}

}  // namespace

Result<JwsPublicKeyPtr> p256_public_key(std::string_view x, std::string_view y) {
  std::string point = "\x04" + std::string(x) + std::string(y);  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    return key_error("out of memory");
  }
  EVP_PKEY* pkey = pkey_from_params("EC", bld.get());
  if (!pkey) return key_error("EC JWK is not a valid P-256 public key");
  auto key = std::make_shared<const JwsPublicKey>(pkey);
  // Refuse points that are not on the curve (invalid-curve attacks).
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return key_error("EC JWK point is not on P-256");
  return JwsPublicKeyPtr(key);
}

Result<JwsPublicKeyPtr> rsa_public_key(std::string_view n, std::string_view e) {
  auto bn_n = to_bn(n);
  auto bn_e = to_bn(e);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return key_error("out of memory");
  }
  EVP_PKEY* pkey = pkey_from_params("RSA", bld.get());
  if (!pkey) return key_error("RSA JWK is not a valid public key");
  return JwsPublicKeyPtr(std::make_shared<const JwsPublicKey>(pkey));
}

bool es256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view r_s) {
  const std::string der = ecdsa_raw_to_der(r_s);
  return !der.empty() && digest_verify(key, signing_input, der);
}

bool rs256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view signature) {
  return !signature.empty() && digest_verify(key, signing_input, signature);
}

}  // namespace authwasm
