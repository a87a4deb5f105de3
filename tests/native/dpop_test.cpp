// DPoP proof pieces (RFC 9449), with the RFC's own example values where it has them.
#include <gtest/gtest.h>

#include "base64url.hpp"
#include "dpop.hpp"
#include "jwt.hpp"

using namespace authwasm;

namespace {
// The public key of RFC 9449 §4.1's example proof.
const EcPublicJwk kRfcKey{"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"};
}  // namespace

TEST(Dpop, ThumbprintAndAthMatchTheRfcExamples) {
  EXPECT_EQ(jwk_thumbprint(kRfcKey), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");  // §6.1 cnf.jkt
  EXPECT_EQ(access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");  // §7.1 ath
}

TEST(Dpop, HtuIsNormalisedWithoutQueryOrFragment) {
  EXPECT_EQ(normalize_htu("https://server.example.com/token"), "https://server.example.com/token");
  EXPECT_EQ(normalize_htu("HTTPS://Server.Example.COM:443/token?x=1#f"), "https://server.example.com/token");
  EXPECT_EQ(normalize_htu("http://127.0.0.1:80/a/./b/../c"), "http://127.0.0.1/a/c");
  EXPECT_EQ(normalize_htu("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
  EXPECT_EQ(normalize_htu("https://a.example/%7euser/%2f%e2"), "https://a.example/~user/%2F%E2");
  EXPECT_EQ(normalize_htu("https://a.example:8443/"), "https://a.example:8443/");
  EXPECT_FALSE(normalize_htu("https://a.example/%zz"));
  EXPECT_FALSE(normalize_htu("https://a.example/%4"));
  EXPECT_FALSE(normalize_htu("/relative"));
  EXPECT_FALSE(normalize_htu("ftp://a.example/"));
}

TEST(Dpop, SigningInputHasTheHeaderAndClaimsOfSection4) {
  auto input = dpop_signing_input(kRfcKey, {"POST", "https://Server.example.com/token?q", 1700000000, "ath-value", "n-1"});
  ASSERT_TRUE(input) << input.error().message;
  auto jwt = decode_jwt(input.value() + ".c2ln");
  ASSERT_TRUE(jwt);
  const Json& h = jwt.value().header;
  EXPECT_EQ(h["typ"], "dpop+jwt");
  EXPECT_EQ(h["alg"], "ES256");
  EXPECT_EQ(h["jwk"], kRfcKey.to_json());
  EXPECT_EQ(h["jwk"].size(), 4u) << "only crv kty x y";
  const Json& c = jwt.value().claims;
  EXPECT_EQ(c["htm"], "POST");
  EXPECT_EQ(c["htu"], "https://server.example.com/token");
  EXPECT_EQ(c["iat"], 1700000000);
  EXPECT_EQ(c["ath"], "ath-value");
  EXPECT_EQ(c["nonce"], "n-1");
  EXPECT_EQ(base64url_decode(c["jti"].get<std::string>()).value().size(), 16u);
  auto other = dpop_signing_input(kRfcKey, {"GET", "https://a.example/", 1, "", ""});
  ASSERT_TRUE(other);
  auto claims = decode_jwt(other.value() + ".c2ln").value().claims;
  EXPECT_FALSE(claims.contains("ath"));
  EXPECT_FALSE(claims.contains("nonce"));
  EXPECT_NE(claims["jti"], c["jti"]) << "a fresh jti every proof";
  EXPECT_FALSE(dpop_signing_input(kRfcKey, {"GET", "not a url", 1, "", ""}));
  EXPECT_FALSE(dpop_signing_input(kRfcKey, {"", "https://a.example/", 1, "", ""}));
}

TEST(Dpop, PublicJwkIsCheckedAndSignaturesAre64Bytes) {
  EXPECT_TRUE(EcPublicJwk::from_json(kRfcKey.to_json()));
  Json with_private = kRfcKey.to_json();
  with_private["d"] = "secret";
  EXPECT_FALSE(EcPublicJwk::from_json(with_private));
  Json wrong_curve = kRfcKey.to_json();
  wrong_curve["crv"] = "P-384";
  EXPECT_FALSE(EcPublicJwk::from_json(wrong_curve));
  Json short_x = kRfcKey.to_json();
  short_x["x"] = "AAAA";
  EXPECT_FALSE(EcPublicJwk::from_json(short_x));
  EXPECT_FALSE(EcPublicJwk::from_json(Json::array()));
  EXPECT_EQ(assemble_compact_jws("a.b", std::string(64, '\x01')).value(), "a.b." + base64url_encode(std::string(64, '\x01')));
  EXPECT_FALSE(assemble_compact_jws("a.b", std::string(63, '\x01')));
  EXPECT_FALSE(assemble_compact_jws("a.b", std::string(72, '\x01')));  // DER is not the JWS form
}
