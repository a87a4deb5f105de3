// Regressions found by the fuzz targets (tests/fuzz/): each has a corpus file too.
#include <gtest/gtest.h>

#include "api.hpp"
#include "oauth/authorize.hpp"
#include "oauth/client_config.hpp"
#include "base/json.hpp"

namespace authwasm {
namespace {

Transaction pending() {
  Transaction t;
  t.state = "xyz";
  t.nonce = "n";
  t.verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  t.issuer = "https://issuer.example";
  t.client_id = "spa";
  t.redirect_uri = "https://app.example/cb";
  return t;
}

ClientConfig config() {
  return parse_client_config(Json{{"issuer", "https://issuer.example"}, {"clientId", "spa"},
                                  {"redirectUri", "https://app.example/cb"}}).value();
}

// fuzz_callback / fuzz_api: error_description=%FF (a percent-decoded non-UTF-8 byte) went into
// the error message, and serialising that message for JS made nlohmann abort the whole core.
// RFC 6749 §4.1.2.1 allows only printable ASCII there.
TEST(FuzzRegressions, CallbackErrorWithNonUtf8BytesIsATypedError) {
  auto r = parse_callback(config(), "https://app.example/cb?error=server_error&error_description=%C3%A9%FF%0A&state=xyz",
                          pending());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::authorization_error);
  EXPECT_EQ(r.error().message, "server_error: ????");

  auto e = parse_callback(config(), "https://app.example/cb?error=%FF&state=xyz", pending());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::authorization_error);
  EXPECT_EQ(e.error().message, "?");
}

TEST(FuzzRegressions, ApiAnswersNonUtf8CallbackErrorsAsJson) {
  auto created = parse_json(call("create", R"({"options":{"issuer":"https://issuer.example","clientId":"spa",
                                                "redirectUri":"https://app.example/cb"}})")).value();
  ASSERT_EQ(created["ok"], true);
  Json args = {{"handle", created["handle"]},
               {"url", "https://app.example/cb?error=access_denied&error_description=%FF&state=xyz"},
               {"transaction", pending().to_json_text()}};
  auto reply = parse_json(call("parseCallback", args.dump()));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply.value()["ok"], false);
  EXPECT_EQ(reply.value()["code"], "access_denied");
  EXPECT_EQ(reply.value()["message"], "access_denied: ?");
  call("destroy", Json{{"handle", created["handle"]}}.dump());
}

}  // namespace
}  // namespace authwasm
