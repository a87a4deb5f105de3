// Cross-tab messages (src/tabs/tab_message.hpp), driven through authwasm::call exactly as
// js/tabs.js and js/client.js drive them: two sessions stand for two tabs.
#include <gtest/gtest.h>

#include "api.hpp"
#include "api_calls.hpp"
#include "base/base64url.hpp"
#include "base/json.hpp"

using namespace authwasm;
using authwasm::testing::call_code;
using authwasm::testing::call_ok;

namespace {

constexpr long long kWall = 1'700'000'000'000;  // ms

std::string jwt(const Json& claims) {
  return base64url_encode(R"({"alg":"ES256","typ":"JWT"})") + "." + base64url_encode(claims.dump()) + ".c2ln";
}

std::string id_token(const std::string& sub) {
  return jwt({{"iss", "https://idp.example"}, {"sub", sub}, {"aud", "spa"},
              {"iat", kWall / 1000 - 5}, {"exp", kWall / 1000 + 600}});
}

Json token_response(const std::string& at, int expires_in, const std::string& sub = "alice") {
  Json body = {{"access_token", at}, {"token_type", "Bearer"}, {"expires_in", expires_in}, {"id_token", id_token(sub)}};
  return {{"status", 200}, {"contentType", "application/json"}, {"body", body.dump()}};
}

long long new_tab() {
  return *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                  {"redirectUri", "https://app.example/cb"},
                                                  {"leewaySeconds", 0}}}}), "handle");
}

void login(long long h, const std::string& at, int expires_in, long long mono, const std::string& sub = "alice") {
  call_ok("acceptLoginResponse", {{"handle", h}, {"response", token_response(at, expires_in, sub)},
                                  {"wall", kWall}, {"mono", mono}});
}

std::string encode(long long h, const std::string& type, long long wall = kWall, long long mono = 0, Json extra = Json::object()) {
  extra["handle"] = h;
  extra["type"] = type;
  extra["wall"] = wall;
  extra["mono"] = mono;
  return *get_string(call_ok("encodeTabMessage", extra), "message");
}

Json receive(long long h, const Json& message, long long wall = kWall, long long mono = 0) {
  return call_ok("receiveTabMessage", {{"handle", h}, {"message", message}, {"wall", wall}, {"mono", mono}});
}

std::string header(long long h, long long mono) {
  return get_string(call_ok("authorization", {{"handle", h}, {"mono", mono}}), "header").value_or("");
}

Json ignored_counts(long long h) { return call_ok("info", {{"handle", h}, {"mono", 0}})["tabMessages"]["ignored"]; }

// A well-formed message with one member changed, as another sender would write it.
std::string tweak(const std::string& message, const char* name, const Json& value) {
  Json m = parse_json_object(message).value();
  if (value.is_null()) m.erase(name); else m[name] = value;
  return m.dump();
}

}  // namespace

TEST(TabMessage, RefreshedTokenIsAdoptedWithoutANetworkCall) {
  const auto a = new_tab(), b = new_tab();
  login(a, "token-a", 60, 0);
  const std::string message = encode(a, "refreshed", kWall, 10'000);  // 50 s left
  Json m = parse_json_object(message).value();
  EXPECT_EQ(m["v"], 1);
  EXPECT_EQ(m["type"], "refreshed");
  EXPECT_EQ(m["token"]["access_token"], "token-a");
  EXPECT_FALSE(m["token"].contains("refresh_token"));
  EXPECT_EQ(get_string(m, "from")->size(), 22u);

  // B reads it 2 s later (wall) at its own monotonic time 500: 48 s left there.
  auto action = receive(b, message, kWall + 2000, 500);
  EXPECT_EQ(action["action"], "adopt");
  EXPECT_EQ(action["wasAuthenticated"], false);
  EXPECT_EQ(action["user"]["sub"], "alice");
  EXPECT_EQ(header(b, 500 + 47'999), "Bearer token-a");
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 500 + 48'000}})["freshness"], "expired");
  auto info = call_ok("info", {{"handle", b}, {"mono", 500}});
  EXPECT_EQ(info["tabMessages"]["received"], 1);
  EXPECT_EQ(info["tabMessages"]["acted"], 1);
  EXPECT_EQ(info["refreshCount"], 0);  // no network refresh happened here
}

TEST(TabMessage, BadMessagesAreIgnoredAndCounted) {
  const auto a = new_tab(), b = new_tab();
  login(a, "token-a", 60, 0);
  const std::string good = encode(a, "refreshed");
  for (const Json& bad : {Json(42), Json(nullptr), Json("{"), Json("[]"), Json("null"),
                          Json(std::string(20'000, ' ')), Json(tweak(good, "v", "1")),
                          Json(tweak(good, "from", "short")), Json(tweak(good, "seq", 0)),
                          Json(tweak(good, "at", 1.5)), Json(tweak(good, "seq", nullptr)),
                          Json(tweak(good, "token", nullptr)), Json(tweak(good, "token", "x"))}) {
    EXPECT_EQ(receive(b, bad)["action"], "ignore") << bad.dump().substr(0, 80);
  }
  EXPECT_EQ(receive(b, tweak(good, "v", 2))["ignored"], "version");
  EXPECT_EQ(receive(b, tweak(good, "type", "steal_cookie"))["ignored"], "unknown_type");
  // A long multi-byte type: nothing of it is echoed (a cut UTF-8 sequence would not serialise).
  EXPECT_EQ(receive(b, tweak(good, "type", std::string(31, 'x') + "\xC3\xA9\xC3\xA9"))["ignored"], "unknown_type");
  EXPECT_EQ(receive(b, good, kWall + 31'000)["ignored"], "stale");
  EXPECT_EQ(receive(b, good, kWall - 31'000)["ignored"], "stale");
  EXPECT_EQ(receive(a, good)["ignored"], "own");
  // Token checks are the token endpoint's: a refused token is counted as rejected.
  Json forged = parse_json_object(good).value();
  forged["token"]["access_token"] = "has space";
  EXPECT_EQ(receive(b, forged.dump())["ignored"], "rejected");
  forged["token"]["access_token"] = "ok";
  forged["token"]["id_token"] = jwt({{"iss", "https://evil.example"}, {"sub", "x"}, {"aud", "spa"}, {"iat", 1}, {"exp", 9e9}});
  EXPECT_EQ(receive(b, forged.dump())["ignored"], "rejected");
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 0}})["freshness"], "none");  // nothing acted on

  Json counts = ignored_counts(b);
  EXPECT_EQ(counts["malformed"], 13);
  EXPECT_EQ(counts["version"], 1);
  EXPECT_EQ(counts["unknown_type"], 2);
  EXPECT_EQ(counts["stale"], 2);
  EXPECT_EQ(counts["rejected"], 2);
  EXPECT_EQ(ignored_counts(a)["own"], 1);

  EXPECT_EQ(receive(b, good)["action"], "adopt");
  EXPECT_EQ(receive(b, good)["ignored"], "replay");
}

TEST(TabMessage, OnlyNewerTokensAreAdoptedAndTheUserMayNotChangeOnRefresh) {
  const auto a = new_tab(), b = new_tab();
  login(a, "token-a1", 60, 0);
  const std::string older = encode(a, "refreshed", kWall, 0);
  login(b, "token-b", 60, 0);  // B already has a token good for 60 s
  EXPECT_EQ(receive(b, older, kWall + 1000, 0)["ignored"], "stale");
  EXPECT_EQ(header(b, 0), "Bearer token-b");

  login(a, "token-a2", 120, 0);
  EXPECT_EQ(receive(b, encode(a, "refreshed"), kWall, 0)["action"], "adopt");
  EXPECT_EQ(header(b, 0), "Bearer token-a2");

  const auto c = new_tab();
  login(c, "token-mallory", 600, 0, "mallory");
  EXPECT_EQ(receive(b, encode(c, "refreshed"))["ignored"], "rejected");  // OIDC Core §12.2: another sub
  auto login_msg = receive(b, encode(c, "logged_in"));                    // a login may change the user
  EXPECT_EQ(login_msg["action"], "adopt");
  EXPECT_EQ(login_msg["wasAuthenticated"], true);
  EXPECT_EQ(login_msg["user"]["sub"], "mallory");
}

TEST(TabMessage, LogoutWipesAndOlderTokensDoNotResurrectTheSession) {
  const auto a = new_tab(), b = new_tab(), c = new_tab();
  login(a, "token-a", 60, 0);
  login(b, "token-b", 60, 0);
  login(c, "token-c", 90, 0);
  const std::string refreshed_before_logout = encode(c, "refreshed", kWall, 0);
  auto out = receive(b, encode(a, "logged_out", kWall + 100), kWall + 100);
  EXPECT_EQ(out["action"], "logout");
  EXPECT_EQ(out["type"], "logged_out");
  EXPECT_EQ(out["wasAuthenticated"], true);
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 0}})["freshness"], "none");
  // Delivered late, but sent before the logout: ignored.
  EXPECT_EQ(receive(b, refreshed_before_logout, kWall + 200)["ignored"], "stale");
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 0}})["freshness"], "none");
  // A login in another tab after the logout is adopted (login sync).
  login(c, "token-c2", 300, 0);
  EXPECT_EQ(receive(b, encode(c, "logged_in", kWall + 300), kWall + 300)["action"], "adopt");
  EXPECT_EQ(header(b, 0), "Bearer token-c2");
}

TEST(TabMessage, AnEndingOlderThanThisTabsTokensIsIgnored) {
  const auto a = new_tab(), b = new_tab();
  login(a, "token-a", 60, 0);
  const std::string ended = encode(a, "session_ended", kWall);
  login(b, "token-b", 60, 0);
  encode(b, "logged_in", kWall + 500);  // B logged in after A's session ended
  EXPECT_EQ(receive(b, ended, kWall + 600)["ignored"], "stale");
  EXPECT_EQ(header(b, 0), "Bearer token-b");
}

TEST(TabMessage, SharingNeedsLiveTokensAndKnownTypes) {
  const auto a = new_tab();
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "refreshed"}, {"wall", kWall}, {"mono", 0}}),
            "not_authenticated");
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "nope"}, {"wall", kWall}}), "invalid_argument");
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "lock"}, {"op", "grab"}, {"ttl", 5}}), "invalid_argument");
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "lock"}, {"op", "claim"}, {"ttl", 0}}), "invalid_argument");
}

TEST(TabMessage, LockMessagesCarryTheirOperation) {
  const auto a = new_tab(), b = new_tab();
  auto out = receive(b, encode(a, "lock", kWall, 0, {{"op", "held"}, {"ttl", 5000}}));
  EXPECT_EQ(out["action"], "lock");
  EXPECT_EQ(out["op"], "held");
  EXPECT_EQ(out["ttl"], 5000);
  EXPECT_EQ(out["at"], kWall);
  EXPECT_EQ(get_string(out, "from")->size(), 22u);
}

TEST(TabMessage, RefreshGateSkipsTheNetworkWhenAnotherTabRefreshedMeanwhile) {
  const auto a = new_tab(), b = new_tab();
  login(a, "token-a", 60, 0);
  login(b, "token-b", 10, 0);
  // B's token expired at mono 10000; it starts a refresh and waits for the cross-tab lock...
  auto step = call_ok("beginRefresh", {{"handle", b}});
  ASSERT_EQ(step["step"], "start");
  const auto since = *get_int(step, "generation");
  EXPECT_EQ(call_ok("refreshGate", {{"handle", b}, {"since", since}, {"mono", 11'000}})["gate"], "proceed");
  // ...while A's refresh result arrives.
  login(a, "token-a2", 60, 0);
  receive(b, encode(a, "refreshed", kWall, 5000), kWall, 11'000);
  auto gate = call_ok("refreshGate", {{"handle", b}, {"since", since}, {"mono", 11'000}});
  EXPECT_EQ(gate["gate"], "skip");
  EXPECT_EQ(gate["user"]["sub"], "alice");
  auto step2 = call_ok("beginRefresh", {{"handle", b}});
  EXPECT_EQ(step2["step"], "start");  // the skipped flight ended

  // A logout from another tab while waiting: the refresh must not happen at all.
  const auto since2 = *get_int(step2, "generation");
  receive(b, encode(a, "logged_out", kWall + 1), kWall + 1);
  EXPECT_EQ(call_ok("refreshGate", {{"handle", b}, {"since", since2}, {"mono", 11'000}})["gate"], "ended");
}

// ------------------------------------------------------------------ memory mode: one holder
namespace {

long long memory_tab() {
  return *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                  {"redirectUri", "https://app.example/cb"}, {"refresh", "memory"}}}}),
                  "handle");
}

Json memory_tokens(const std::string& at, const std::string& rt, int expires_in) {
  Json body = {{"access_token", at}, {"token_type", "Bearer"}, {"expires_in", expires_in}, {"refresh_token", rt},
               {"id_token", id_token("alice")}};
  return {{"status", 200}, {"contentType", "application/json"}, {"body", body.dump()}};
}

bool holds(long long h) { return call_ok("info", {{"handle", h}, {"mono", 0}})["holdsRefreshToken"] == true; }

std::string refresh_body(long long h) {
  auto step = call_ok("beginRefresh", {{"handle", h}});
  call_ok("abandonRefresh", {{"handle", h}});
  return get_string(step["request"], "body").value_or("");
}

}  // namespace

TEST(TabHolder, OnlyTheHolderAnswersATokenRequestAndNoSharedTokenCarriesTheRefreshToken) {
  const auto holder = memory_tab(), other = memory_tab();
  call_ok("acceptLoginResponse", {{"handle", holder}, {"response", memory_tokens("at1", "rt1", 60)}, {"wall", kWall}, {"mono", 0}});
  EXPECT_TRUE(holds(holder));
  EXPECT_EQ(receive(other, encode(holder, "refreshed", kWall, 1000))["action"], "adopt");
  EXPECT_FALSE(holds(other)) << "a refreshed message never carries the refresh token";
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", other}})["step"], "unavailable");
  EXPECT_EQ(receive(holder, encode(other, "token_request"))["action"], "serve");
  EXPECT_EQ(receive(other, encode(holder, "token_request"))["action"], "peer") << "a tab without one does not serve";
  // A hostile 'refreshed' that smuggles a refresh token does not make its receiver a holder.
  const auto third = memory_tab();
  Json m = parse_json_object(encode(holder, "refreshed", kWall, 2000)).value();
  m["token"]["refresh_token"] = "planted";
  m["seq"] = 1000;
  EXPECT_EQ(receive(third, m.dump())["action"], "adopt");
  EXPECT_FALSE(holds(third));
}

TEST(TabHolder, HandOffMovesTheRefreshTokenAndTheNonceNeverTwoPresenters) {
  const auto a = memory_tab(), b = memory_tab();
  call_ok("acceptLoginResponse", {{"handle", a}, {"response", memory_tokens("at1", "rt1", 60)}, {"wall", kWall}, {"mono", 0}});
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "handoff"}, {"wall", kWall}, {"mono", 0}}),
            "not_authenticated") << "no peer heard of yet";
  receive(a, encode(b, "hello"));
  // Not while a refresh is in flight: its answer would bring a successor a could not pass on.
  call_ok("beginRefresh", {{"handle", a}});
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "handoff"}, {"wall", kWall}, {"mono", 0}}), "invalid_argument");
  call_ok("abandonRefresh", {{"handle", a}});
  const std::string handoff = encode(a, "handoff", kWall, 1000);
  EXPECT_FALSE(holds(a)) << "the sender can never present it again";
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", a}})["step"], "unavailable");
  const auto bystander = memory_tab();
  EXPECT_EQ(receive(bystander, handoff)["action"], "peer") << "addressed to b only";
  EXPECT_FALSE(holds(bystander));
  auto taken = receive(b, handoff);
  EXPECT_EQ(taken["action"], "adopt");
  EXPECT_EQ(taken["holder"], true);
  EXPECT_TRUE(holds(b));
  EXPECT_NE(refresh_body(b).find("refresh_token=rt1"), std::string::npos);
  EXPECT_EQ(receive(b, handoff)["action"], "ignore") << "a replayed hand-off is dropped";
}

TEST(TabHolder, SharedTokensKeepTheirLifetimeSoEveryTabExpiresThemTogether) {
  const auto a = memory_tab(), b = memory_tab();
  call_ok("acceptLoginResponse", {{"handle", a}, {"response", memory_tokens("at1", "rt1", 4)}, {"wall", kWall}, {"mono", 0}});
  // Adopted 1 s later with 3 s left: still the 4 s token's rule (leeway 2 s), fresh until 2 s
  // after issue, like in the holder; not 1.5 s after adoption.
  receive(b, encode(a, "refreshed", kWall + 1000, 1000), kWall + 1000, 50'000);
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 50'999}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", b}, {"mono", 51'000}})["freshness"], "expired");
  EXPECT_EQ(call_ok("authorization", {{"handle", a}, {"mono", 1'999}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", a}, {"mono", 2'000}})["freshness"], "expired");
}

TEST(TabHolder, RefreshFailedCarriesOnlyTransientCodes) {
  const auto a = memory_tab(), b = memory_tab();
  auto failed = receive(b, encode(a, "refresh_failed", kWall, 0, {{"code", "timeout"}}));
  EXPECT_EQ(failed["action"], "refresh_failed");
  EXPECT_EQ(failed["code"], "timeout");
  EXPECT_EQ(call_code("encodeTabMessage", {{"handle", a}, {"type", "refresh_failed"}, {"code", "invalid_grant"},
                                           {"wall", kWall}, {"mono", 0}}), "invalid_argument");
  Json forged = parse_json_object(encode(a, "refresh_failed", kWall, 0, {{"code", "network"}})).value();
  forged["code"] = "invalid_grant";
  EXPECT_EQ(receive(b, forged.dump())["action"], "ignore");
}
