#include "base/base64url.hpp"

#include <gtest/gtest.h>

using namespace authwasm;

// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding.
TEST(Base64url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64url, UsesUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  auto decoded = base64url_decode("-_-_");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.value(), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto decoded = base64url_decode(base64url_encode(all.substr(0, n)));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded.value(), all.substr(0, n));
  }
}

TEST(Base64url, RefusesPaddingAndForeignAlphabet) {
  for (const char* bad : {"Zg==", "Zm8=", "Zm9v+", "Zm9v/", "Zm 9v", "Zm9v\n", "Zm9v.", "%20"}) {
    auto r = base64url_decode(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_base64url) << bad;
  }
}

TEST(Base64url, RefusesImpossibleLength) {
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));
}

// RFC 4648 §3.5: "Zh" and "Zg" would both decode to "f" if pad bits were ignored.
TEST(Base64url, RefusesNonZeroTrailingBits) {
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_FALSE(base64url_decode("Zh"));
  EXPECT_TRUE(base64url_decode("Zm8"));
  EXPECT_FALSE(base64url_decode("Zm9"));
}

TEST(Base64url, RefusesNulAndHighBytes) {
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(base64url_decode("Zm\xc3\xa9v"));
}
