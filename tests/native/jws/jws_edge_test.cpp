// Edge cases of the signature math (RFC 8017 §8.2.2, SEC 1 §4.1.4), run against both
// implementations of jws_backend.hpp: jws_tests (EVP) and jws_bn_tests (BN arithmetic, the
// wasm verifier's code) must answer every case the same way.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/base64url.hpp"
#include "jose/jws_verify.hpp"

using namespace authwasm;

namespace {

const unsigned char* bytes_of(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string bn_bytes(const BIGNUM* bn, int length) {
  std::string out(size_t(length), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), length);
  return out;
}

std::string hex_bytes(const char* hex) {
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, hex);
  std::string out = bn_bytes(bn, BN_num_bytes(bn));
  BN_free(bn);
  return out;
}

const std::string kInput = base64url_encode(R"({"alg":"RS256","kid":"r"})") + "." + base64url_encode(R"({"sub":"alice"})");

std::string sha256_of(const std::string& text) {
  std::string digest(32, '\0');
  EVP_Digest(text.data(), text.size(), reinterpret_cast<unsigned char*>(digest.data()), nullptr, EVP_sha256(), nullptr);
  return digest;
}

struct RsaFixture {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  ~RsaFixture() { EVP_PKEY_free(pkey); }

  JwkSet keys() const {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    Json jwk = {{"kty", "RSA"}, {"kid", "r"}, {"n", base64url_encode(bn_bytes(n, BN_num_bytes(n)))},
                {"e", base64url_encode(bn_bytes(e, BN_num_bytes(e)))}};
    BN_free(n);
    BN_free(e);
    return JwkSet::from_json(Json{{"keys", Json::array({jwk})}}).value();
  }

  // m^d mod n for a k-byte EM: a signature over an encoding of our choosing.
  std::string raw_sign(const std::string& em) const {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pkey, nullptr);
    EVP_PKEY_sign_init(ctx);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING);
    size_t length = 256;
    std::string sig(length, '\0');
    EXPECT_EQ(EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length, bytes_of(em), em.size()), 1);
    EVP_PKEY_CTX_free(ctx);
    return sig;
  }
};

// EM = 00 01 FF…FF 00 || t, 256 bytes (RFC 8017 §9.2).
std::string encoding(const std::string& t, char type = '\x01', char fill = '\xff') {
  std::string em(256 - t.size(), fill);
  em[0] = '\0';
  em[1] = type;
  em.back() = '\0';
  return em + t;
}

const std::string kSha256Prefix = hex_bytes("3031300d060960864801650304020105000420");

bool verifies(const JwkSet& keys, const std::string& signature) {
  return verify_jws(kInput + "." + base64url_encode(signature), keys, {JwsAlgorithm::RS256}).ok();
}

}  // namespace

TEST(JwsEdge, Rs256AcceptsOnlyTheExactEncoding) {
  RsaFixture rsa;
  const JwkSet keys = rsa.keys();
  const std::string h = sha256_of(kInput);
  EXPECT_TRUE(verifies(keys, rsa.raw_sign(encoding(kSha256Prefix + h))));
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(hex_bytes("3021300906052b0e03021a05000414") + h.substr(0, 20))))) << "SHA-1";
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(hex_bytes("302f300b06096086480165030402010420") + h)))) << "no NULL";
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(kSha256Prefix + h, '\x02')))) << "block type 2";
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(kSha256Prefix + h, '\x01', '\0')))) << "00 padding";
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(kSha256Prefix + h + "garbage!")))) << "trailing bytes";
  EXPECT_FALSE(verifies(keys, rsa.raw_sign(encoding(kSha256Prefix + sha256_of(kInput + "x"))))) << "other hash";
}

TEST(JwsEdge, Rs256RefusesSignaturesOutOfRange) {
  RsaFixture rsa;
  const JwkSet keys = rsa.keys();
  const std::string good = rsa.raw_sign(encoding(kSha256Prefix + sha256_of(kInput)));
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(rsa.pkey, OSSL_PKEY_PARAM_RSA_N, &n);
  EXPECT_FALSE(verifies(keys, bn_bytes(n, 256))) << "s = n";
  BN_free(n);
  EXPECT_FALSE(verifies(keys, std::string(256, '\xff'))) << "s > n";
  EXPECT_FALSE(verifies(keys, std::string(1, '\0') + good)) << "k + 1 bytes";
  EXPECT_FALSE(verifies(keys, good.substr(1))) << "k - 1 bytes";
  EXPECT_FALSE(verifies(keys, "")) << "empty";
}

TEST(JwsEdge, RsaKeysNeedAnOddExponentAboveOne) {
  RsaFixture rsa;
  Json jwk = {{"kty", "RSA"}, {"n", base64url_encode(std::string(1, '\xc1') + std::string(255, '\x01'))}};
  for (const char* e : {"AQ", "Ag", "AAE", ""}) {
    jwk["e"] = e;
    EXPECT_FALSE(JwsKey::from_jwk(jwk).ok()) << e;
  }
  jwk["e"] = "Aw";
  EXPECT_TRUE(JwsKey::from_jwk(jwk).ok()) << "e = 3 is accepted";
  jwk["n"] = base64url_encode(std::string(1, '\xc1') + std::string(254, '\x01') + "\x02");
  EXPECT_FALSE(JwsKey::from_jwk(jwk).ok()) << "even modulus";
}

TEST(JwsEdge, Es256RefusesRAndSOutsideTheOrder) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  unsigned char point[65];
  size_t length = 0;
  EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point, &length);
  Json jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "e"},
              {"x", base64url_encode(std::string(reinterpret_cast<char*>(point + 1), 32))},
              {"y", base64url_encode(std::string(reinterpret_cast<char*>(point + 33), 32))}};
  EVP_PKEY_free(pkey);
  const JwkSet keys = JwkSet::from_json(Json{{"keys", Json::array({jwk})}}).value();
  const std::string input = base64url_encode(R"({"alg":"ES256","kid":"e"})") + "." + base64url_encode("{}");
  const std::string n = hex_bytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  const std::string zero(32, '\0'), one = std::string(31, '\0') + "\x01";
  for (const std::string& rs : {zero + one, one + zero, n + one, one + n, zero + zero, std::string(64, '\xff')}) {
    EXPECT_FALSE(verify_jws(input + "." + base64url_encode(rs), keys, {JwsAlgorithm::ES256}).ok());
  }
}
