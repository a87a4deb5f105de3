// The client policy, natively: URL handling, RFC 6750 challenges, and the session's
// single-flight / retry-once / end-of-session rules, driven through authwasm::call exactly
// as js/client.js drives them.
#include <gtest/gtest.h>

#include "api.hpp"
#include "api_calls.hpp"
#include "base/json.hpp"
#include "base/url.hpp"
#include "oauth/client_config.hpp"
#include "oauth/www_authenticate.hpp"

using namespace authwasm;
using authwasm::testing::call_code;
using authwasm::testing::call_ok;

namespace {

Json response(int status, const std::string& body, const std::string& type = "application/json") {
  return {{"status", status}, {"contentType", type}, {"body", body}};
}

const char* kTokens = R"({"access_token":"at1","token_type":"bearer","expires_in":60})";

long long new_client() {
  return *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                  {"redirectUri", "https://app.example/cb"}}}}), "handle");
}

}  // namespace

TEST(Url, PercentEncodingAndForms) {
  EXPECT_EQ(percent_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(form_encode({{"a", "1 2"}, {"b", "x&y"}}), "a=1%202&b=x%26y");
  EXPECT_EQ(percent_decode("a+b%20c%C3%A9").value(), "a b cé");
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%4"));
}

TEST(Url, QueriesKeepRepeatsAndIgnoreFragments) {
  auto q = parse_query("https://a/cb?code=x&state=y&code=z#frag=1").value();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[2].second, "z");
  EXPECT_EQ(remove_query_params("https://a/cb?code=x&keep=1&state=y#f", {"code", "state"}), "https://a/cb?keep=1");
  EXPECT_EQ(remove_query_params("https://a/cb?code=x", {"code"}), "https://a/cb");
}

TEST(Url, EndpointRules) {
  EXPECT_TRUE(is_acceptable_endpoint("https://idp.example/token"));
  EXPECT_TRUE(is_acceptable_endpoint("http://127.0.0.1:8080/token"));
  EXPECT_TRUE(is_acceptable_endpoint("http://localhost/token"));
  EXPECT_FALSE(is_acceptable_endpoint("http://idp.example/token"));
  EXPECT_FALSE(is_acceptable_endpoint("https://user@idp.example/"));
  EXPECT_FALSE(is_acceptable_endpoint("javascript:alert(1)"));
  EXPECT_EQ(resolve_endpoint("https://idp.example/realm/", "/token"), "https://idp.example/realm/token");
  EXPECT_EQ(resolve_endpoint("https://idp.example", "https://other.example/t"), "https://other.example/t");
}

TEST(WwwAuthenticate, Rfc6750Challenges) {
  EXPECT_TRUE(says_invalid_token(R"(Bearer error="invalid_token")"));
  EXPECT_TRUE(says_invalid_token(R"(Bearer realm="x", error="invalid_token", error_description="The access token expired")"));
  EXPECT_TRUE(says_invalid_token(R"(bearer error=invalid_token)"));
  EXPECT_TRUE(says_invalid_token(R"(Basic realm="a", Bearer error="invalid_token")"));
  EXPECT_TRUE(says_invalid_token("token_expired"));
  EXPECT_FALSE(says_invalid_token(R"(Bearer error="insufficient_scope")"));
  EXPECT_FALSE(says_invalid_token(R"(Bearer realm="x")"));
  EXPECT_FALSE(says_invalid_token(R"(Basic error="invalid_token")"));
  EXPECT_FALSE(says_invalid_token(R"(Bearer error_description="invalid_token")"));
  EXPECT_FALSE(says_invalid_token(""));
  EXPECT_FALSE(says_invalid_token("Bearer error=\"invalid_token"));  // unterminated: still not a match
}

TEST(Session, RefreshIsSingleFlight) {
  const auto h = new_client();
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["step"], "start");
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["step"], "join");
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["step"], "join");
  auto done = call_ok("finishRefresh", {{"handle", h}, {"response", response(200, kTokens)}, {"mono", 0}});
  EXPECT_EQ(done["ended"], false);
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["step"], "start");  // the flight ended
  call_ok("abandonRefresh", {{"handle", h}});
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["step"], "start");
}

TEST(Session, RefreshRequestInCookieModeCarriesNoToken) {
  const auto h = new_client();
  auto step = call_ok("beginRefresh", {{"handle", h}});
  EXPECT_EQ(step["request"]["method"], "POST");
  EXPECT_EQ(step["request"]["url"], "https://idp.example/auth/refresh");
  EXPECT_EQ(step["request"]["credentials"], "include");
  EXPECT_FALSE(step["request"].contains("body"));
}

TEST(Session, ExpiryUsesTheMonotonicClockAndLeeway) {
  const auto h = new_client();
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"response", response(200, kTokens)}, {"mono", 1000}});
  // expires_in 60 s from mono 1000, leeway 30 s: fresh until mono 31000.
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 30999}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 30999}})["header"], "Bearer at1");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 31000}})["freshness"], "expired");
  EXPECT_FALSE(call_ok("authorization", {{"handle", h}, {"mono", 31000}}).contains("header"));
}

// Short-lived tokens with the default leeway (30 s): the leeway is capped at half the token's
// lifetime, so a 2 s token is fresh for 1 s after it arrived instead of expired on arrival.
TEST(Session, LeewayIsBoundedByHalfTheTokensLifetime) {
  const auto h = new_client();
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"mono", 1000},
                            {"response", response(200, R"({"access_token":"at","token_type":"Bearer","expires_in":2})")}});
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 1000}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 1999}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 2000}})["freshness"], "expired");
  // A long-lived token keeps the whole leeway: 120 s from mono 0 is fresh until 90 s.
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"mono", 0},
                            {"response", response(200, R"({"access_token":"at","token_type":"Bearer","expires_in":120})")}});
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 89999}})["freshness"], "fresh");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 90000}})["freshness"], "expired");
}

// Every request the core describes carries the client's deadline (js/http.js enforces it).
TEST(Session, EveryDescribedRequestHasTheDeadline) {
  const auto h = new_client();
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["request"]["timeoutMs"], 10000);
  EXPECT_EQ(call_ok("passwordLoginRequest", {{"handle", h}, {"username", "u"}, {"password", "p"}})["request"]["timeoutMs"], 10000);
  EXPECT_EQ(call_ok("discoveryRequest", {{"issuer", "https://idp.example"}})["request"]["timeoutMs"], 10000);
  EXPECT_EQ(call_ok("discoveryRequest", {{"issuer", "https://idp.example"}, {"timeoutSeconds", 0.25}})["request"]["timeoutMs"], 250);
  const auto quick = *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                              {"timeoutSeconds", 2.5}}}}), "handle");
  const Json logout = call_ok("logoutRequests", {{"handle", quick}});  // the answer outlives the loop
  for (const auto& r : logout["requests"]) EXPECT_EQ(r["timeoutMs"], 2500);
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", quick}})["request"]["timeoutMs"], 2500);
  for (const Json bad : {Json(0), Json(-1), Json(301), Json("10"), Json(nullptr)}) {
    EXPECT_EQ(call_code("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                {"timeoutSeconds", bad}}}}), "configuration") << bad.dump();
    EXPECT_EQ(call_code("discoveryRequest", {{"issuer", "https://idp.example"}, {"timeoutSeconds", bad}}), "configuration");
  }
}

// RFC 6749 §5.2 at the login and token endpoints: a 400/401 refusal is invalid_grant whatever
// the server calls it; errors that blame the client are configuration; 5xx/429 server_error.
TEST(Session, TokenEndpointErrorMapping) {
  const auto h = new_client();
  auto login_error = [&](int status, const std::string& body) {
    return call_code("acceptLoginResponse", {{"handle", h}, {"response", response(status, body)}});
  };
  EXPECT_EQ(login_error(401, R"({"error":"invalid_credentials"})"), "invalid_grant");
  EXPECT_EQ(login_error(400, R"({"error":"invalid_grant"})"), "invalid_grant");
  EXPECT_EQ(login_error(401, R"({"error":"access_denied"})"), "invalid_grant");
  EXPECT_EQ(login_error(400, "not json"), "invalid_grant");
  EXPECT_EQ(login_error(401, ""), "invalid_grant");
  EXPECT_EQ(login_error(401, R"({"error":"invalid_client"})"), "configuration");
  EXPECT_EQ(login_error(400, R"({"error":"unsupported_grant_type"})"), "configuration");
  EXPECT_EQ(login_error(400, R"({"error":"invalid_request"})"), "configuration");
  EXPECT_EQ(login_error(403, R"({"error":"access_denied"})"), "configuration");
  EXPECT_EQ(login_error(400, R"({"error":"login_required"})"), "login_required");
  EXPECT_EQ(login_error(429, R"({"error":"too_many_requests"})"), "server_error");
  EXPECT_EQ(login_error(503, "busy"), "server_error");
  EXPECT_EQ(login_error(500, R"({"error":"invalid_grant"})"), "server_error");  // 5xx: never ends a session
  EXPECT_EQ(login_error(302, ""), "server_error");
}

TEST(Session, RetryOnceAndGenerations) {
  const auto h = new_client();
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"response", response(200, kTokens)}, {"mono", 0}});
  const auto gen = *get_int(call_ok("authorization", {{"handle", h}, {"mono", 0}}), "generation");
  auto classify = [&](int attempt, long long generation, int status, const char* www) {
    return call_ok("classifyApiResponse", {{"handle", h}, {"attempt", attempt}, {"generation", generation},
                                           {"status", status}, {"wwwAuthenticate", www}})["action"];
  };
  EXPECT_EQ(classify(1, gen, 401, R"(Bearer error="invalid_token")"), "refresh_and_retry");
  EXPECT_EQ(classify(2, gen, 401, R"(Bearer error="invalid_token")"), "deliver");  // never twice
  EXPECT_EQ(classify(1, gen, 403, R"(Bearer error="insufficient_scope")"), "deliver");
  EXPECT_EQ(classify(1, gen, 200, ""), "deliver");
  // Another call refreshed meanwhile: retry with the new token, no second refresh.
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"response", response(200, kTokens)}, {"mono", 0}});
  EXPECT_EQ(classify(1, gen, 401, R"(Bearer error="invalid_token")"), "retry");
}

TEST(Session, DefiniteRefusalEndsTheSessionOtherFailuresKeepIt) {
  const auto h = new_client();
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"response", response(200, kTokens)}, {"mono", 0}});
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {500, "{}"}, {503, "oops"}, {429, R"({"error":"slow_down"})"}, {200, "{\"access_token\""}}) {
    call_ok("beginRefresh", {{"handle", h}});
    EXPECT_NE(call_code("finishRefresh", {{"handle", h}, {"response", response(status, body)}, {"mono", 0}}), "");
    EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 0}})["freshness"], "fresh") << status;
  }
  call_ok("beginRefresh", {{"handle", h}});
  auto ended = call_ok("finishRefresh", {{"handle", h}, {"response", response(401, R"({"error":"invalid_grant"})")}, {"mono", 0}});
  EXPECT_EQ(ended["ended"], true);
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 0}})["freshness"], "none");
}

TEST(Api, HostileCallsAnswerTypedErrors) {
  EXPECT_EQ(call_code("nope", Json::object()), "invalid_argument");
  EXPECT_EQ(parse_json_object(call("create", "[")).value()["code"], "invalid_argument");
  EXPECT_EQ(call_code("create", {{"options", {{"issuer", "ftp://x"}, {"clientId", "a"}}}}), "configuration");
  EXPECT_EQ(call_code("info", {{"handle", 987654}}), "invalid_argument");
  EXPECT_EQ(call_code("parseCallback", {{"handle", new_client()}, {"url", "https://app.example/cb?code=1"}}), "state_mismatch");
  const auto h = new_client();
  call_ok("destroy", {{"handle", h}});
  EXPECT_EQ(call_code("info", {{"handle", h}}), "invalid_argument");
}

// Text that is not UTF-8 (a percent-decoded byte, a hostile server's string) must serialise
// with U+FFFD, not abort the module as nlohmann's dump would with exceptions off.
TEST(Json, DumpNeverAbortsOnInvalidUtf8) {
  EXPECT_EQ(dump_json(Json("a\xFF" "b")), "\"a\xEF\xBF\xBD" "b\"");
  EXPECT_EQ(dump_json(Json{{"k", "\xC3"}}), "{\"k\":\"\xEF\xBF\xBD\"}");
}

// RFC 6749 §3.1.2: a redirect URI may have a query of its own; the server keeps it and adds its
// parameters. The callback must carry it unchanged; a provider's extra parameters are fine.
TEST(Callback, ARedirectUriWithAQueryOfItsOwn) {
  const auto h = *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                          {"redirectUri", "https://app.example/cb?tenant=a%20b"}}}}),
                          "handle");
  auto start = call_ok("beginLogin", {{"handle", h}});
  const std::string transaction = start["transaction"];
  const std::string state = parse_json_object(transaction).value()["state"];
  auto parse = [&](const std::string& url) {
    return parse_json_object(call("parseCallback", Json{{"handle", h}, {"url", url}, {"transaction", transaction}}.dump()))
        .value();
  };
  EXPECT_EQ(parse("https://app.example/cb?tenant=a%20b&code=c1&state=" + state)["ok"], true);
  EXPECT_EQ(parse("https://app.example/cb?code=c1&tenant=a+b&state=" + state + "&scope=openid&authuser=0")["ok"], true);
  EXPECT_EQ(parse("https://app.example/cb?code=c1&state=" + state)["code"], "state_mismatch") << "its query is missing";
  EXPECT_EQ(parse("https://app.example/cb?tenant=other&code=c1&state=" + state)["code"], "state_mismatch");
  EXPECT_EQ(parse("https://app.example/cb2?tenant=a%20b&code=c1&state=" + state)["code"], "state_mismatch");
}

TEST(Session, LogoutEverywhereWithDpopCarriesAResourceProof) {
  const auto h = *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                          {"dpop", true}}}}), "handle");
  call_ok("acceptLoginResponse", {{"handle", h}, {"mono", 0},
          {"response", response(200, R"({"access_token":"at","token_type":"DPoP","expires_in":60})")}});
  auto requests = call_ok("logoutRequests", {{"handle", h}, {"everywhere", true}, {"mono", 0}})["requests"];
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["url"], "https://idp.example/auth/logout-all");
  EXPECT_EQ(requests[0]["headers"]["Authorization"], "DPoP at");
  EXPECT_EQ(requests[0]["dpop"], true);
  EXPECT_EQ(requests[0]["dpopAth"], true);
  EXPECT_FALSE(requests[1].contains("dpop")) << "the cookie logout needs no proof";
}

// A mistyped option is a configuration error, never nlohmann's value() (whose get<bool> throws,
// which in the wasm build, exceptions off, aborted the module for every client of the page).
TEST(ClientConfig, MistypedOptionsAreConfigurationErrors) {
  const Json base = {{"issuer", "https://issuer.example"}, {"clientId", "spa"}};
  for (const auto& [name, value] : std::vector<std::pair<const char*, Json>>{
           {"skipIssuerCheck", "yes"}, {"requireIssInCallback", 1}, {"dpop", "true"}, {"dpop", nullptr},
           {"refresh", 5}, {"scope", Json::array({"openid"})}}) {
    Json options = base;
    options[name] = value;
    auto config = parse_client_config(options);
    ASSERT_FALSE(config) << name;
    EXPECT_EQ(config.error().code, ErrorCode::configuration) << name;
  }
  Json flags = base;
  flags["skipIssuerCheck"] = true;
  flags["requireIssInCallback"] = false;
  auto config = parse_client_config(flags);
  ASSERT_TRUE(config);
  EXPECT_TRUE(config.value().skip_issuer_check);
  EXPECT_FALSE(config.value().require_iss_in_callback);
  EXPECT_FALSE(config.value().dpop);
}
