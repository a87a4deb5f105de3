// authwasm::call's protocol itself (src/api.cpp): the answer envelope, unknown operations and
// handles, and hostile argument types, which must give a typed error or be read as absent,
// never abort the module (with -fno-exceptions any nlohmann throw is std::abort()).
#include <gtest/gtest.h>

#include <string>

#include "api.hpp"
#include "api_calls.hpp"
#include "base/json.hpp"

using namespace authwasm;
using authwasm::testing::call_code;
using authwasm::testing::call_ok;

namespace {

long long new_client() {
  return *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                  {"redirectUri", "https://app.example/cb"}}}}), "handle");
}

Json answer_of(const std::string& op, const std::string& args_text) {
  auto out = parse_json_object(call(op, args_text));
  EXPECT_TRUE(out) << op;
  return out ? out.value() : Json();
}

}  // namespace

TEST(Api, FailuresAreTheThreeMemberEnvelope) {
  EXPECT_EQ(call("nope", "{}"), R"({"ok":false,"code":"invalid_argument","message":"unknown operation"})");
  for (const char* bad : {"", "[]", "null", "{", "{\"a\":1,\"a\":2}", "\"x\""}) {
    EXPECT_EQ(call("createPkcePair", bad),
              R"({"ok":false,"code":"invalid_argument","message":"arguments must be a JSON object"})") << bad;
  }
  EXPECT_EQ(call("wipe", R"({"handle":987654})"),
            R"x({"ok":false,"code":"invalid_argument","message":"no client with this handle (closed?)"})x");
  EXPECT_EQ(call("wipe", R"({"handle":"1"})"),
            R"x({"ok":false,"code":"invalid_argument","message":"no client with this handle (closed?)"})x");
  EXPECT_EQ(call("pkceChallenge", R"({"verifier":7})"),
            R"({"ok":false,"code":"invalid_argument","message":"verifier must be a string"})");
}

TEST(Api, SuccessesAreOkFirstThenTheMembers) {
  const std::string verifier(43, 'a');
  const Json pair = answer_of("pkceChallenge", R"({"verifier":")" + verifier + "\"}");
  EXPECT_EQ(call("pkceChallenge", R"({"verifier":")" + verifier + "\"}"),
            R"({"ok":true,"challenge":")" + pair["challenge"].get<std::string>() + "\"}");
  const auto h = new_client();
  const std::string handle = std::to_string(h);
  EXPECT_EQ(call("wipe", R"({"handle":)" + handle + "}"), R"({"ok":true})");
  EXPECT_EQ(call("authorization", R"({"handle":)" + handle + R"(,"mono":5})"), R"({"ok":true,"freshness":"none"})");
  EXPECT_EQ(call("beginRefresh", R"({"handle":)" + handle + "}").rfind(R"({"ok":true,"step":"start","request":{"method":"POST",)", 0), 0u);
  EXPECT_EQ(call("abandonRefresh", R"({"handle":)" + handle + "}"), R"({"ok":true})");
  // info: the session's own members, then the tab counters, each once.
  const Json info = answer_of("info", R"({"handle":)" + handle + "}");
  EXPECT_EQ(info.size(), 7u) << info.dump();
  for (const char* name : {"ok", "user", "refreshCount", "expiresIn", "accessTokenClaims", "tabMessages", "holdsRefreshToken"}) {
    EXPECT_TRUE(info.contains(name)) << name;
  }
  EXPECT_EQ(call("destroy", R"({"handle":)" + handle + "}"), R"({"ok":true})");
  EXPECT_EQ(call_code("destroy", {{"handle", h}}), "invalid_argument");  // closed: once only
}

// Flags are true only as the JSON literal true; any other type reads as false (nlohmann's
// value("x", false) on a string would abort the module).
TEST(Api, MistypedFlagsAreFalseNotAnAbort) {
  const auto h = new_client();
  for (const Json& flag : {Json("yes"), Json(1), Json::array({true}), Json::object({{"a", true}}), Json(nullptr)}) {
    EXPECT_EQ(call_ok("classifyApiResponse", {{"handle", h}, {"attempt", 1}, {"nonceRetried", flag}, {"status", 200}})["action"],
              "deliver");
    const Json logout = call_ok("logoutRequests", {{"handle", h}, {"everywhere", flag}, {"redirect", flag}});
    EXPECT_EQ(logout["endSessionUrl"], "") << flag.dump();
    EXPECT_TRUE(logout["requests"].is_array());
  }
  EXPECT_EQ(call_ok("logoutRequests", {{"handle", h}, {"everywhere", "true"}})["requests"],
            call_ok("logoutRequests", {{"handle", h}, {"everywhere", false}})["requests"]);
}

// RFC 9449 §4.2: the proof's signature is 64 bytes; a number is a byte only if it is 0..255
// (never truncated: 2^32 + 7 is not 7).
TEST(Api, DpopSignatureBytesAreExact) {
  Json sig = Json::array();
  for (int i = 0; i < 63; ++i) sig.push_back(i);
  for (const Json& bad : {Json(4294967303ULL), Json(-1), Json(7.0), Json("7"), Json(256), Json(nullptr)}) {
    Json with = sig;
    with.push_back(bad);
    EXPECT_EQ(call_code("dpopProof", {{"signingInput", "a.b"}, {"signature", with}}), "invalid_argument") << bad.dump();
  }
  sig.push_back(255);
  EXPECT_EQ(call_ok("dpopProof", {{"signingInput", "a.b"}, {"signature", sig}})["proof"].get<std::string>().rfind("a.b.", 0), 0u);
  EXPECT_EQ(call_code("dpopProof", {{"signingInput", "a.b"}, {"signature", "AAAA"}}), "invalid_argument");
  EXPECT_EQ(call_code("dpopProof", {{"signature", sig}}), "invalid_argument");
}

// Members passed on as they are (options, message, jwk) may be of any type.
TEST(Api, PassedOnMembersOfAnyTypeAreTypedErrors) {
  EXPECT_EQ(call_code("create", {{"options", "x"}}), "configuration");
  EXPECT_EQ(call_code("create", Json::object()), "configuration");
  const auto h = new_client();
  for (const Json& message : {Json(3), Json::array(), Json(nullptr), Json("{")}) {
    EXPECT_EQ(call_ok("receiveTabMessage", {{"handle", h}, {"message", message}})["ignored"], "malformed") << message.dump();
  }
  EXPECT_EQ(call_ok("receiveTabMessage", {{"handle", h}})["action"], "ignore");
  EXPECT_EQ(call_code("setDpopKey", {{"handle", h}, {"jwk", "x"}}), "invalid_argument");
  EXPECT_EQ(call("setDpopKey", R"({"handle":)" + std::to_string(h) + R"(,"jwk":null})"), R"({"ok":true})");
  EXPECT_EQ(call_code("beginLogin", {{"handle", h}, {"extraParams", {{"a", 1}}}}), "invalid_argument");
  EXPECT_EQ(call_code("beginLogin", {{"handle", h}, {"extraParams", "a=1"}}), "invalid_argument");
}
