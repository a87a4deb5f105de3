#include "oauth/pkce.hpp"

#include <gtest/gtest.h>

#include <set>

#include "base/base64url.hpp"
#include "base/sha256.hpp"

using namespace authwasm;

// RFC 7636 Appendix B.
TEST(Pkce, Rfc7636AppendixBVector) {
  auto challenge = pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge.value(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_TRUE(pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
  EXPECT_FALSE(pkce_verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
                           "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
}

TEST(Sha256, Fips180Vector) {
  EXPECT_EQ(base64url_encode(sha256("abc")), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  EXPECT_EQ(base64url_encode(sha256("")), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

TEST(Pkce, PairHasRequestedLengthAndMatchingChallenge) {
  for (size_t len : {size_t(43), size_t(64), size_t(100), size_t(128)}) {
    auto pair = create_pkce_pair(len);
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair.value().verifier.size(), len);
    EXPECT_TRUE(is_valid_pkce_verifier(pair.value().verifier));
    EXPECT_EQ(pair.value().challenge.size(), 43u);
    EXPECT_EQ(pair.value().challenge, pkce_challenge(pair.value().verifier).value());
  }
}

TEST(Pkce, DefaultLengthIs64) {
  EXPECT_EQ(create_pkce_pair().value().verifier.size(), 64u);
}

TEST(Pkce, VerifiersAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(create_pkce_pair().value().verifier);
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Pkce, RefusesLengthsOutsideRfc) {
  for (size_t len : {size_t(0), size_t(42), size_t(129), size_t(1) << 40}) {
    auto pair = create_pkce_pair(len);
    ASSERT_FALSE(pair);
    EXPECT_EQ(pair.error().code, ErrorCode::invalid_argument);
  }
}

TEST(Pkce, ChallengeRefusesInvalidVerifiers) {
  const std::string ok(43, 'a');
  EXPECT_TRUE(pkce_challenge(ok));
  EXPECT_TRUE(pkce_challenge("~._-" + std::string(39, 'Z')));
  EXPECT_FALSE(pkce_challenge(std::string(42, 'a')));
  EXPECT_FALSE(pkce_challenge(std::string(129, 'a')));
  EXPECT_FALSE(pkce_challenge(std::string(42, 'a') + "+"));
  EXPECT_FALSE(pkce_challenge(std::string(42, 'a') + "="));
  EXPECT_FALSE(pkce_challenge(std::string(42, 'a') + " "));
  EXPECT_FALSE(pkce_verify(std::string(42, 'a'), ""));
}
