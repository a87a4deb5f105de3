// authwasm_jws: ES256 / RS256 verification from JWKs (RFC 7515 §5.2, RFC 7518 §3.3-3.4).
#include "jose/jws_verify.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/base64url.hpp"

using namespace authwasm;

namespace {

std::string bn_bytes(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(pkey, name, &bn);
  std::string out(size_t(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::string der_signature(EVP_PKEY* pkey, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(length);
  EVP_MD_CTX_free(ctx);
  return sig;
}

std::string der_to_raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

struct Signer {
  EVP_PKEY* pkey;
  Json jwk;
  bool ec;
  ~Signer() { EVP_PKEY_free(pkey); }

  std::string token(const Json& header, const Json& claims, bool der = false) const {
    std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    std::string sig = der_signature(pkey, input);
    if (ec && !der) sig = der_to_raw(sig);
    return input + "." + base64url_encode(sig);
  }
};

Signer ec_signer(const char* kid) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  unsigned char point[65];
  size_t length = 0;
  EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point, &length);
  Json jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"kid", kid},
              {"x", base64url_encode(std::string(reinterpret_cast<char*>(point + 1), 32))},
              {"y", base64url_encode(std::string(reinterpret_cast<char*>(point + 33), 32))}};
  return Signer{pkey, jwk, true};
}

Signer rsa_signer(const char* kid) {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  Json jwk = {{"kty", "RSA"}, {"kid", kid},
              {"n", base64url_encode(bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_N))},
              {"e", base64url_encode(bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_E))}};
  return Signer{pkey, jwk, false};
}

JwkSet set_of(const std::vector<Json>& jwks) {
  Json keys = Json::array();
  for (const auto& k : jwks) keys.push_back(k);
  auto set = JwkSet::from_json(Json{{"keys", keys}});
  EXPECT_TRUE(set.ok());
  return set.value();
}

const Json kClaims = {{"sub", "alice"}, {"exp", 2000000000}};
const std::vector<JwsAlgorithm> kBoth = {JwsAlgorithm::ES256, JwsAlgorithm::RS256};

}  // namespace

TEST(JwsVerify, Es256RoundTripAndTamper) {
  Signer s = ec_signer("k1");
  JwkSet keys = set_of({s.jwk});
  const std::string token = s.token({{"alg", "ES256"}, {"kid", "k1"}}, kClaims);
  auto ok = verify_jws(token, keys, {JwsAlgorithm::ES256});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(get_string(ok.value().claims, "sub"), "alice");

  // A changed payload with the old signature.
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string forged = token.substr(0, dot1 + 1) +
                             base64url_encode(Json{{"sub", "mallory"}, {"exp", 2000000000}}.dump()) +
                             token.substr(dot2);
  EXPECT_FALSE(verify_jws(forged, keys, {JwsAlgorithm::ES256}).ok());
  // A flipped signature bit.
  std::string sig = base64url_decode(token.substr(dot2 + 1)).value();
  sig[10] ^= 1;
  EXPECT_FALSE(verify_jws(token.substr(0, dot2 + 1) + base64url_encode(sig), keys, {JwsAlgorithm::ES256}).ok());
}

TEST(JwsVerify, Es256RefusesDerSignatures) {  // RFC 7518 §3.4: R || S only
  Signer s = ec_signer("k1");
  const std::string token = s.token({{"alg", "ES256"}, {"kid", "k1"}}, kClaims, /*der=*/true);
  EXPECT_FALSE(verify_jws(token, set_of({s.jwk}), {JwsAlgorithm::ES256}).ok());
}

TEST(JwsVerify, Rs256RoundTrip) {
  Signer s = rsa_signer("r1");
  const std::string token = s.token({{"alg", "RS256"}, {"kid", "r1"}}, kClaims);
  auto ok = verify_jws(token, set_of({s.jwk}), kBoth);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_FALSE(verify_jws(token, set_of({s.jwk}), {JwsAlgorithm::ES256}).ok()) << "not in the allow-list";
}

TEST(JwsVerify, RefusesAlgNoneHmacAndMismatchedKeys) {
  Signer s = ec_signer("k1");
  JwkSet keys = set_of({s.jwk});
  const std::string payload = base64url_encode(kClaims.dump());
  for (const char* alg : {"none", "HS256", "ES384", "es256"}) {
    const std::string header = base64url_encode(Json{{"alg", alg}, {"kid", "k1"}}.dump());
    EXPECT_FALSE(verify_jws(header + "." + payload + ".", keys, kBoth).ok()) << alg;
    EXPECT_FALSE(verify_jws(header + "." + payload + ".c2ln", keys, kBoth).ok()) << alg;
  }
  // An EC key cannot verify an RS256 header even if the signature bytes were right.
  const std::string rs = s.token({{"alg", "RS256"}, {"kid", "k1"}}, kClaims, true);
  EXPECT_FALSE(verify_jws(rs, keys, kBoth).ok());
}

TEST(JwsVerify, KeySelectionByKid) {
  Signer a = ec_signer("a");
  Signer b = ec_signer("b");
  JwkSet keys = set_of({a.jwk, b.jwk});
  EXPECT_TRUE(verify_jws(b.token({{"alg", "ES256"}, {"kid", "b"}}, kClaims), keys, kBoth).ok());
  EXPECT_FALSE(verify_jws(b.token({{"alg", "ES256"}, {"kid", "a"}}, kClaims), keys, kBoth).ok());
  EXPECT_FALSE(verify_jws(b.token({{"alg", "ES256"}, {"kid", "zzz"}}, kClaims), keys, kBoth).ok());
  // No kid: ambiguous with two EC keys, fine with one.
  EXPECT_FALSE(verify_jws(b.token({{"alg", "ES256"}}, kClaims), keys, kBoth).ok());
  EXPECT_TRUE(verify_jws(b.token({{"alg", "ES256"}}, kClaims), set_of({b.jwk}), kBoth).ok());
}

TEST(JwsVerify, JwkValidation) {
  Signer s = ec_signer("k1");
  Json off_curve = s.jwk;
  std::string y = base64url_decode(get_string(s.jwk, "y").value()).value();
  y[31] ^= 1;
  off_curve["y"] = base64url_encode(y);
  EXPECT_FALSE(JwsKey::from_jwk(off_curve).ok()) << "point not on the curve";
  Json short_x = s.jwk;
  short_x["x"] = base64url_encode("abc");
  EXPECT_FALSE(JwsKey::from_jwk(short_x).ok());
  Json enc = s.jwk;
  enc["use"] = "enc";
  EXPECT_FALSE(JwsKey::from_jwk(enc).ok());
  Json wrong_alg = s.jwk;
  wrong_alg["alg"] = "RS256";
  EXPECT_FALSE(JwsKey::from_jwk(wrong_alg).ok());
  Json p384 = s.jwk;
  p384["crv"] = "P-384";
  EXPECT_FALSE(JwsKey::from_jwk(p384).ok());
  EXPECT_FALSE(JwsKey::from_jwk(Json::array()).ok());
  EXPECT_FALSE(JwsKey::from_jwk(Json{{"kty", "oct"}, {"k", "AAAA"}}).ok());
  Json small_rsa = {{"kty", "RSA"}, {"n", base64url_encode(std::string(128, '\x01'))}, {"e", "AQAB"}};
  EXPECT_FALSE(JwsKey::from_jwk(small_rsa).ok()) << "1024-bit RSA refused";
  // A set skips unusable keys but needs one usable key.
  EXPECT_TRUE(JwkSet::from_json(Json{{"keys", Json::array({enc, s.jwk})}}).ok());
  EXPECT_FALSE(JwkSet::from_json(Json{{"keys", Json::array({enc})}}).ok());
  EXPECT_FALSE(JwkSet::from_json(Json{{"keys", "x"}}).ok());
}

TEST(JwsVerify, MalformedTokens) {
  Signer s = ec_signer("k1");
  JwkSet keys = set_of({s.jwk});
  for (const char* token : {"", ".", "..", "a.b", "a.b.c.d", "eyJhbGciOiJFUzI1NiJ9..", "!!.!!.!!"}) {
    EXPECT_FALSE(verify_jws(token, keys, kBoth).ok()) << token;
  }
}
