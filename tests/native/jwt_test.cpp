#include "jose/jwt.hpp"

#include <gtest/gtest.h>

#include "base/base64url.hpp"

using namespace authwasm;

namespace {
std::string jwt(const std::string& header, const std::string& claims, const std::string& sig = "c2ln") {
  return base64url_encode(header) + "." + base64url_encode(claims) + "." + sig;
}
void expect_invalid(const std::string& token) {
  auto r = decode_jwt(token);
  ASSERT_FALSE(r) << token;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_jwt) << token;
}
}  // namespace

TEST(Jwt, DecodesHeaderClaimsAndSignature) {
  auto r = decode_jwt(jwt(R"({"alg":"ES256","kid":"k1"})", R"({"sub":"alice","exp":1700000000})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(get_string(r.value().header, "alg"), "ES256");
  EXPECT_EQ(get_string(r.value().claims, "sub"), "alice");
  EXPECT_EQ(get_int(r.value().claims, "exp"), 1700000000);
  EXPECT_EQ(r.value().signature, "sig");
  EXPECT_EQ(r.value().signing_input,
            base64url_encode(R"({"alg":"ES256","kid":"k1"})") + "." +
                base64url_encode(R"({"sub":"alice","exp":1700000000})"));
}

// RFC 7519 §7.2 example token (HS256).
TEST(Jwt, DecodesRfc7519Example) {
  auto r = decode_jwt(
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  ASSERT_TRUE(r);
  EXPECT_EQ(get_string(r.value().claims, "iss"), "joe");
  EXPECT_EQ(get_int(r.value().claims, "exp"), 1300819380);
}

TEST(Jwt, RefusesWrongSegmentCounts) {
  expect_invalid("");
  expect_invalid("abc");
  expect_invalid("a.b");
  expect_invalid(jwt(R"({"alg":"ES256"})", "{}") + ".extra");  // JWE has five
  expect_invalid("..");
}

TEST(Jwt, RefusesEmptyOrBadSegments) {
  expect_invalid("." + base64url_encode("{}") + ".c2ln");
  expect_invalid(base64url_encode(R"({"alg":"ES256"})") + "..c2ln");
  expect_invalid(base64url_encode(R"({"alg":"ES256"})") + "." + base64url_encode("{}") + ".c2ln=");
  expect_invalid(base64url_encode(R"({"alg":"ES256"})") + "==." + base64url_encode("{}") + ".c2ln");
  expect_invalid(base64url_encode(R"({"alg":"ES256"})") + "." + base64url_encode("{}") + ".***");
}

TEST(Jwt, RefusesNonObjectJson) {
  for (const char* claims : {"[]", "null", "\"s\"", "42", "{\"", "", "{}x"}) {
    expect_invalid(jwt(R"({"alg":"ES256"})", claims));
  }
  expect_invalid(jwt("[]", "{}"));
}

TEST(Jwt, RefusesDuplicateMemberNames) {
  expect_invalid(jwt(R"({"alg":"ES256","alg":"none"})", "{}"));
  expect_invalid(jwt(R"({"alg":"ES256"})", R"({"sub":"a","sub":"b"})"));
  expect_invalid(jwt(R"({"alg":"ES256"})", R"({"x":{"a":1,"a":2}})"));
  // The same name in sibling objects is fine.
  EXPECT_TRUE(decode_jwt(jwt(R"({"alg":"ES256"})", R"({"x":{"a":1},"y":{"a":2}})")));
}

TEST(Jwt, RefusesHeaderWithoutStringAlg) {
  expect_invalid(jwt(R"({"typ":"JWT"})", "{}"));
  expect_invalid(jwt(R"({"alg":null})", "{}"));
  expect_invalid(jwt(R"({"alg":256})", "{}"));
}

TEST(Jwt, RefusesCriticalHeader) {
  expect_invalid(jwt(R"({"alg":"ES256","crit":["exp"]})", "{}"));
}

TEST(Jwt, RefusesOversizedAndDeeplyNestedTokens) {
  expect_invalid(jwt(R"({"alg":"ES256"})", "{\"a\":\"" + std::string(20000, 'x') + "\"}"));
  std::string deep = "{\"a\":";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}";
  expect_invalid(jwt(R"({"alg":"ES256"})", deep));
}

TEST(Jwt, EmptySignatureDecodes) {  // "alg":"none" is refused by validation, not by decoding
  auto r = decode_jwt(base64url_encode(R"({"alg":"none"})") + "." + base64url_encode("{}") + ".");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().signature, "");
}
