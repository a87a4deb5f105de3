// DPoP proof pieces (RFC 9449), with the RFC's own example values where it has them.
#include <gtest/gtest.h>

#include "api_calls.hpp"
#include "base/base64url.hpp"
#include "jose/dpop.hpp"
#include "jose/jwt.hpp"

using namespace authwasm;
using authwasm::testing::call_code;
using authwasm::testing::call_ok;

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

// ------------------------------------------------------------------ the session with dpop: true

namespace {

Json answer(int status, const std::string& body, const std::string& nonce = "") {
  return {{"status", status}, {"contentType", "application/json"}, {"body", body}, {"dpopNonce", nonce}};
}

long long dpop_client(bool with_key = true) {
  const auto h = *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                          {"redirectUri", "https://app.example/cb"}, {"dpop", true}}}}),
                          "handle");
  if (with_key) EXPECT_EQ(call_ok("setDpopKey", {{"handle", h}, {"jwk", kRfcKey.to_json()}})["jkt"], jwk_thumbprint(kRfcKey));
  return h;
}

const char* kDpopTokens = R"({"access_token":"at1","token_type":"DPoP","expires_in":60})";

}  // namespace

TEST(DpopSession, TokenRequestsAskForAProofAndTheCodeIsBoundToTheKey) {
  const auto h = dpop_client();
  EXPECT_EQ(call_ok("beginRefresh", {{"handle", h}})["request"]["dpop"], true);
  EXPECT_EQ(call_ok("passwordLoginRequest", {{"handle", h}, {"username", "u"}, {"password", "p"}})["request"]["dpop"], true);
  const Json logout = call_ok("logoutRequests", {{"handle", h}});  // the answer outlives the loop
  for (const auto& r : logout["requests"]) EXPECT_FALSE(r.contains("dpop"));
  const std::string url = call_ok("beginLogin", {{"handle", h}})["url"];
  EXPECT_NE(url.find("dpop_jkt=" + jwk_thumbprint(kRfcKey)), std::string::npos) << url;
  EXPECT_EQ(call_code("beginLogin", {{"handle", dpop_client(false)}}), "configuration");
  EXPECT_EQ(call_code("beginLogin", {{"handle", h}, {"extraParams", {{"dpop_jkt", "other"}}}}), "invalid_argument");
  EXPECT_EQ(call_code("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"}, {"dpop", "yes"}}}}),
            "configuration");
}

TEST(DpopSession, ABearerAnswerIsADowngradeAndIsRefused) {
  const auto h = dpop_client();
  EXPECT_EQ(call_code("acceptLoginResponse", {{"handle", h}, {"response",
            answer(200, R"({"access_token":"at1","token_type":"Bearer","expires_in":60})")}}), "invalid_response");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 0}})["freshness"], "none") << "nothing stored";
  call_ok("acceptLoginResponse", {{"handle", h}, {"response", answer(200, kDpopTokens)}, {"mono", 0}});
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 0}})["header"], "DPoP at1");
}

TEST(DpopSession, ProofsCarryAthAndTheOriginsNonce) {
  const auto h = dpop_client();
  call_ok("acceptLoginResponse", {{"handle", h}, {"response", answer(200, kDpopTokens)}, {"mono", 0}});
  EXPECT_EQ(call_ok("dpopAnswer", {{"handle", h}, {"url", "https://rs.example/api/x"}, {"response", answer(200, "{}", "n-rs")}})["retry"], false);
  auto claims_of = [&](const Json& args) {
    Json full = args;
    full["handle"] = h;
    full["wall"] = 1'700'000'000'123LL;
    std::string input = call_ok("dpopProofInput", full)["signingInput"];
    return decode_jwt(input + ".c2ln").value().claims;
  };
  auto resource = claims_of({{"htm", "GET"}, {"htu", "https://RS.example/api/x?q=1"}, {"resource", true}});
  EXPECT_EQ(resource["ath"], access_token_hash("at1"));
  EXPECT_EQ(resource["nonce"], "n-rs");
  EXPECT_EQ(resource["iat"], 1'700'000'000);
  auto token = claims_of({{"htm", "POST"}, {"htu", "https://idp.example/auth/refresh"}});
  EXPECT_FALSE(token.contains("ath"));
  EXPECT_FALSE(token.contains("nonce")) << "nonces are per origin";
  // Nonces with characters outside NQCHAR are not kept.
  call_ok("dpopAnswer", {{"handle", h}, {"url", "https://idp.example/token"}, {"response", answer(200, "{}", "bad\"nonce")}});
  EXPECT_FALSE(claims_of({{"htm", "POST"}, {"htu", "https://idp.example/token"}}).contains("nonce"));
  // The signature is assembled by the core: 64 bytes only.
  Json sig = Json::array();
  for (int i = 0; i < 64; ++i) sig.push_back(i);
  const std::string proof = call_ok("dpopProof", {{"signingInput", "a.b"}, {"signature", sig}})["proof"];
  EXPECT_EQ(proof.rfind("a.b.", 0), 0u);
  sig.push_back(1);
  EXPECT_EQ(call_code("dpopProof", {{"signingInput", "a.b"}, {"signature", sig}}), "invalid_argument");
  EXPECT_EQ(call_code("dpopProof", {{"signingInput", "a.b"}, {"signature", {256}}}), "invalid_argument");
}

TEST(DpopSession, OneNonceRetryAndOneRefreshRetryNeverALoop) {
  const auto h = dpop_client();
  call_ok("acceptLoginResponse", {{"handle", h}, {"response", answer(200, kDpopTokens)}, {"mono", 0}});
  const auto gen = *get_int(call_ok("authorization", {{"handle", h}, {"mono", 0}}), "generation");
  auto classify = [&](int attempt, bool nonce_retried, const char* www) {
    return call_ok("classifyApiResponse", {{"handle", h}, {"attempt", attempt}, {"nonceRetried", nonce_retried},
                                           {"generation", gen}, {"status", 401}, {"wwwAuthenticate", www}})["action"];
  };
  const char* nonce = R"(DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof")";
  EXPECT_EQ(classify(1, false, nonce), "nonce_retry");
  EXPECT_EQ(classify(1, true, nonce), "deliver");
  EXPECT_EQ(classify(2, false, nonce), "nonce_retry");
  EXPECT_EQ(classify(1, true, R"(DPoP error="invalid_token", algs="ES256")"), "refresh_and_retry");
  EXPECT_EQ(classify(2, true, R"(DPoP error="invalid_token")"), "deliver");
  // Token endpoint: a 400 use_dpop_nonce with a nonce is worth one retry; anything else is not.
  auto retry = [&](const Json& response) {
    return call_ok("dpopAnswer", {{"handle", h}, {"url", "https://idp.example/token"}, {"response", response}})["retry"];
  };
  EXPECT_EQ(retry(answer(400, R"({"error":"use_dpop_nonce"})", "n1")), true);
  EXPECT_EQ(retry(answer(400, R"({"error":"use_dpop_nonce"})")), false) << "no nonce given: nothing to retry with";
  EXPECT_EQ(retry(answer(400, R"({"error":"invalid_grant"})", "n2")), false);
  // Exhausted or refused proofs are invalid_dpop_proof, which never ends a session.
  call_ok("beginRefresh", {{"handle", h}});
  EXPECT_EQ(call_code("finishRefresh", {{"handle", h}, {"response", answer(400, R"({"error":"use_dpop_nonce"})", "n3")}}),
            "invalid_dpop_proof");
  call_ok("beginRefresh", {{"handle", h}});
  EXPECT_EQ(call_code("finishRefresh", {{"handle", h}, {"response", answer(400, R"({"error":"invalid_dpop_proof"})")}}),
            "invalid_dpop_proof");
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 0}})["freshness"], "fresh");
}

// RFC 9449 §5 + oidc-provider: a DPoP-bound refresh token of a public client may come back
// unrotated (no refresh_token in the answer, until 70 % of its life): the one held is kept.
TEST(DpopSession, AnUnrotatedBoundRefreshTokenIsKept) {
  const auto h = *get_int(call_ok("create", {{"options", {{"issuer", "https://idp.example"}, {"clientId", "spa"},
                                                          {"refresh", "memory"}, {"dpop", true}}}}), "handle");
  call_ok("setDpopKey", {{"handle", h}, {"jwk", kRfcKey.to_json()}});
  call_ok("acceptLoginResponse", {{"handle", h}, {"mono", 0}, {"response",
          answer(200, R"({"access_token":"at1","token_type":"DPoP","expires_in":60,"refresh_token":"rt-bound"})")}});
  call_ok("beginRefresh", {{"handle", h}});
  call_ok("finishRefresh", {{"handle", h}, {"mono", 1}, {"response",
          answer(200, R"({"access_token":"at2","token_type":"DPoP","expires_in":60})")}});
  const std::string body = call_ok("beginRefresh", {{"handle", h}})["request"]["body"];
  EXPECT_NE(body.find("refresh_token=rt-bound"), std::string::npos) << body;
  EXPECT_EQ(call_ok("authorization", {{"handle", h}, {"mono", 2}})["header"], "DPoP at2");
}
