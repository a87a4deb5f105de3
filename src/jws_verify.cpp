#include "jws_verify.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base64url.hpp"

namespace authwasm {
namespace {

Error key_error(std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); }
Error jws_error(std::string message) { return make_error(ErrorCode::invalid_jwt, std::move(message)); }

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct CtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct SigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };

Result<std::string> member_bytes(const Json& jwk, const char* name) {
  auto text = get_string(jwk, name);
  if (!text) return key_error(std::string("JWK has no string \"") + name + "\"");
  auto bytes = base64url_decode(*text);
  if (!bytes) return key_error(std::string("JWK \"") + name + "\" is not base64url");
  return bytes;
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

// RFC 7518 §6.2.1: P-256 public key from x and y (each exactly 32 bytes, §6.2.1.2/3).
Result<EVP_PKEY*> ec_key(const Json& jwk) {
  if (get_string(jwk, "crv") != std::optional<std::string>("P-256")) {
    return key_error("only EC keys on crv \"P-256\" are supported");
  }
  auto x = member_bytes(jwk, "x");
  if (!x) return x.error();
  auto y = member_bytes(jwk, "y");
  if (!y) return y.error();
  if (x.value().size() != 32 || y.value().size() != 32) {
    return key_error("P-256 JWK coordinates must be 32 bytes each (RFC 7518 §6.2.1.2)");
  }
  std::string point = "\x04" + x.value() + y.value();  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    return key_error("out of memory");
  }
  EVP_PKEY* pkey = pkey_from_params("EC", bld.get());
  if (!pkey) return key_error("EC JWK is not a valid P-256 public key");
  // Refuse points that are not on the curve (invalid-curve attacks).
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    EVP_PKEY_free(pkey);
    return key_error("EC JWK point is not on P-256");
  }
  return pkey;
}

// RFC 7518 §6.3.1: RSA public key from n and e; at least 2048 bits (§3.3).
Result<EVP_PKEY*> rsa_key(const Json& jwk) {
  auto n = member_bytes(jwk, "n");
  if (!n) return n.error();
  auto e = member_bytes(jwk, "e");
  if (!e) return e.error();
  auto to_bn = [](const std::string& bytes) {
    return std::unique_ptr<BIGNUM, BnFree>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()), nullptr));
  };
  auto bn_n = to_bn(n.value());
  auto bn_e = to_bn(e.value());
  if (!bn_n || !bn_e) return key_error("out of memory");
  if (BN_num_bits(bn_n.get()) < 2048) return key_error("RSA JWK modulus is shorter than 2048 bits");
  if (BN_num_bits(bn_n.get()) > 16384) return key_error("RSA JWK modulus is too long");
  if (BN_is_zero(bn_e.get()) || !BN_is_odd(bn_e.get())) return key_error("RSA JWK exponent is invalid");
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return key_error("out of memory");
  }
  EVP_PKEY* pkey = pkey_from_params("RSA", bld.get());
  if (!pkey) return key_error("RSA JWK is not a valid public key");
  return pkey;
}

// RFC 7518 §3.4: R || S, each a 32-byte big-endian integer, re-encoded as the DER
// ECDSA-Sig-Value that OpenSSL verifies.
std::string ecdsa_raw_to_der(const std::string& raw) {
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!sig) return {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
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

bool kty_matches(const JwsKey& key, JwsAlgorithm alg) {
  const int id = EVP_PKEY_get_base_id(key.pkey());
  return alg == JwsAlgorithm::ES256 ? id == EVP_PKEY_EC : id == EVP_PKEY_RSA;
}

}  // namespace

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) {
  if (name == "ES256") return JwsAlgorithm::ES256;
  if (name == "RS256") return JwsAlgorithm::RS256;
  return std::nullopt;
}

const char* jws_algorithm_name(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::ES256 ? "ES256" : "RS256";
}

Result<JwsKey> JwsKey::from_jwk(const Json& jwk) {
  if (!jwk.is_object()) return key_error("JWK must be a JSON object");
  auto kty = get_string(jwk, "kty");
  if (!kty) return key_error("JWK has no string \"kty\"");
  if (jwk.contains("use") && get_string(jwk, "use") != std::optional<std::string>("sig")) {
    return key_error("JWK \"use\" is not \"sig\" (RFC 7517 §4.2)");
  }
  JwsKey key;
  if (*kty == "EC") {
    auto pkey = ec_key(jwk);
    if (!pkey) return pkey.error();
    key.pkey_.reset(pkey.value(), PkeyFree());
    key.alg_ = JwsAlgorithm::ES256;
  } else if (*kty == "RSA") {
    auto pkey = rsa_key(jwk);
    if (!pkey) return pkey.error();
    key.pkey_.reset(pkey.value(), PkeyFree());
    key.alg_ = JwsAlgorithm::RS256;
  } else {
    return key_error("JWK \"kty\" must be \"EC\" or \"RSA\"");
  }
  if (jwk.contains("alg")) {  // RFC 7517 §4.4: the key is for that algorithm only
    auto name = get_string(jwk, "alg");
    auto alg = name ? jws_algorithm_from_name(*name) : std::nullopt;
    if (!alg || *alg != key.alg_) return key_error("JWK \"alg\" is unsupported or does not fit its kty");
    key.alg_pinned_ = true;
  }
  if (jwk.contains("kid")) {
    auto kid = get_string(jwk, "kid");
    if (!kid) return key_error("JWK \"kid\" must be a string");
    key.kid_ = *kid;
  }
  return key;
}

Result<JwkSet> JwkSet::from_json(const Json& jwks) {
  if (!jwks.is_object()) return key_error("JWK Set must be a JSON object");
  auto it = jwks.find("keys");
  if (it == jwks.end() || !it->is_array()) return key_error("JWK Set has no \"keys\" array (RFC 7517 §5.1)");
  JwkSet set;
  for (const Json& jwk : *it) {
    auto key = JwsKey::from_jwk(jwk);
    if (key) set.keys_.push_back(std::move(key).value());
  }
  if (set.keys_.empty()) return key_error("JWK Set has no usable ES256/RS256 signing key");
  return set;
}

JwkSet JwkSet::of(std::vector<JwsKey> keys) {
  JwkSet set;
  set.keys_ = std::move(keys);
  return set;
}

bool verify_jws_signature(const DecodedJwt& jwt, const JwsKey& key, JwsAlgorithm alg) {
  if (!kty_matches(key, alg) || (key.alg_pinned() && key.algorithm() != alg)) return false;
  std::string signature;
  if (alg == JwsAlgorithm::ES256) {
    if (jwt.signature.size() != 64) return false;  // RFC 7518 §3.4: exactly 64 octets
    signature = ecdsa_raw_to_der(jwt.signature);
    if (signature.empty()) return false;
  } else {
    if (jwt.signature.empty()) return false;
    signature = jwt.signature;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                          jwt.signing_input.size()) == 1;
}

Result<DecodedJwt> verify_jws(std::string_view token, const JwkSet& keys,
                              const std::vector<JwsAlgorithm>& allowed) {
  auto decoded = decode_jwt(token);
  if (!decoded) return decoded.error();
  const DecodedJwt& jwt = decoded.value();
  const std::string alg_name = get_string(jwt.header, "alg").value_or("");
  const auto alg = jws_algorithm_from_name(alg_name);
  bool permitted = false;
  for (JwsAlgorithm a : allowed) permitted = permitted || (alg && a == *alg);
  if (!permitted) {  // includes "none" (RFC 8725 §3.2) and any HMAC algorithm
    return jws_error("JWT \"alg\" is not in the allow-list");
  }
  const JwsKey* chosen = nullptr;
  if (jwt.header.contains("kid")) {
    auto kid = get_string(jwt.header, "kid");
    if (!kid) return jws_error("JWT header \"kid\" must be a string");
    for (const JwsKey& key : keys.keys()) {
      if (key.kid() == *kid && kty_matches(key, *alg)) chosen = &key;
    }
    if (!chosen) return jws_error("no key with the JWT's \"kid\"");
  } else {
    // No kid: only unambiguous when exactly one key of the right type exists.
    int count = 0;
    for (const JwsKey& key : keys.keys()) {
      if (kty_matches(key, *alg)) {
        chosen = &key;
        ++count;
      }
    }
    if (count != 1) return jws_error("JWT has no \"kid\" and the key is ambiguous or missing");
  }
  if (!verify_jws_signature(jwt, *chosen, *alg)) return jws_error("JWT signature is invalid");
  return decoded;
}

}  // namespace authwasm
