// OIDC Discovery 1.0 / RFC 8414 metadata checks (src/oauth/discovery.cpp) and the §12.2 nonce rule
// for refreshed ID tokens (src/oauth/tokens.cpp).
#include "oauth/discovery.hpp"

#include <gtest/gtest.h>

#include "oauth/client_config.hpp"
#include "oauth/tokens.hpp"

namespace authwasm {
namespace {

const char* kIssuer = "https://op.example";

Json options() { return Json{{"issuer", kIssuer}, {"clientId", "spa"}, {"refresh", "memory"}}; }

Json metadata() {
  return Json{{"issuer", kIssuer},
              {"authorization_endpoint", "https://op.example/auth"},
              {"token_endpoint", "https://op.example/token"},
              {"jwks_uri", "https://op.example/jwks"},
              {"revocation_endpoint", "https://op.example/revoke"},
              {"end_session_endpoint", "https://op.example/logout"},
              {"code_challenge_methods_supported", {"S256"}},
              {"authorization_response_iss_parameter_supported", true}};
}

HttpResponse answer(const Json& body, int status = 200, const char* type = "application/json") {
  HttpResponse r;
  r.status = status;
  r.content_type = type;
  r.body = body.dump();
  return r;
}

ErrorCode code_of(const HttpResponse& r) { return apply_discovery(options(), r).error().code; }

TEST(Discovery, RequestUrlDropsTrailingSlashes) {
  EXPECT_EQ(discovery_request("https://op.example/").url, "https://op.example/.well-known/openid-configuration");
  EXPECT_EQ(discovery_request("https://op.example/tenant").url,
            "https://op.example/tenant/.well-known/openid-configuration");
  EXPECT_EQ(discovery_request("https://op.example").credentials, "omit");
}

TEST(Discovery, FoldsEndpointsAndIssRequirementIntoTheConfig) {
  auto folded = apply_discovery(options(), answer(metadata()));
  ASSERT_TRUE(folded) << folded.error().message;
  auto config = parse_client_config(folded.value());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config.value().endpoints.authorization, "https://op.example/auth");
  EXPECT_EQ(config.value().endpoints.token, "https://op.example/token");
  EXPECT_EQ(config.value().endpoints.revocation, "https://op.example/revoke");
  EXPECT_EQ(config.value().endpoints.end_session, "https://op.example/logout");
  EXPECT_EQ(config.value().endpoints.jwks, "https://op.example/jwks");
  EXPECT_EQ(config.value().endpoints.userinfo, "");  // absent in the metadata: none, not /auth/me
  EXPECT_TRUE(config.value().require_iss_in_callback);
}

TEST(Discovery, ExplicitEndpointsWin) {
  Json o = options();
  o["endpoints"] = {{"token", "https://proxy.example/token"}};
  auto folded = apply_discovery(o, answer(metadata()));
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded.value()["endpoints"]["token"], "https://proxy.example/token");
}

TEST(Discovery, IssuerMustBeIdentical) {
  for (const char* other : {"https://op.example/", "https://OP.example", "https://evil.example"}) {
    Json m = metadata();
    m["issuer"] = other;
    EXPECT_EQ(code_of(answer(m)), ErrorCode::configuration) << other;
  }
  Json m = metadata();
  m.erase("issuer");
  EXPECT_EQ(code_of(answer(m)), ErrorCode::invalid_response);
}

TEST(Discovery, RefusesHostileMetadata) {
  Json m = metadata();
  m["code_challenge_methods_supported"] = {"plain"};
  EXPECT_EQ(code_of(answer(m)), ErrorCode::configuration);
  m = metadata();
  m["token_endpoint"] = "http://evil.example/token";
  EXPECT_EQ(code_of(answer(m)), ErrorCode::invalid_response);
  m = metadata();
  m["authorization_endpoint"] = 42;
  EXPECT_EQ(code_of(answer(m)), ErrorCode::invalid_response);
  m = metadata();
  m["authorization_response_iss_parameter_supported"] = "true";
  EXPECT_EQ(code_of(answer(m)), ErrorCode::invalid_response);
  m = metadata();
  m.erase("token_endpoint");
  EXPECT_EQ(code_of(answer(m)), ErrorCode::invalid_response);

  EXPECT_EQ(code_of(answer(metadata(), 200, "text/html")), ErrorCode::invalid_response);
  EXPECT_EQ(code_of(answer(metadata(), 404)), ErrorCode::invalid_response);
  EXPECT_EQ(code_of(answer(metadata(), 503)), ErrorCode::server_error);
  HttpResponse r = answer(metadata());
  r.truncated = true;
  EXPECT_EQ(code_of(r), ErrorCode::invalid_response);
  for (const char* body : {"[]", "{\"issuer\":", "null", "{\"issuer\":\"a\",\"issuer\":\"b\"}"}) {
    r.truncated = false;
    r.body = body;
    EXPECT_EQ(code_of(r), ErrorCode::invalid_response) << body;
  }
  r.body = std::string(100000, '[');
  EXPECT_EQ(code_of(r), ErrorCode::invalid_response);
}

// OIDC Core §12.2: a refreshed ID token's nonce (if any) is the original login's.
TEST(RefreshConsistency, NonceComparesWithTheOriginalLogin) {
  ClientConfig config;
  config.issuer = kIssuer;
  config.client_id = "spa";
  const long long now_s = 1'700'000'000;
  Json previous = {{"iss", kIssuer}, {"sub", "alice"}, {"aud", "spa"}, {"exp", now_s + 300}, {"iat", now_s},
                   {"nonce", "adopted-from-another-tab"}};
  Json refreshed = previous;
  refreshed["nonce"] = "mine";
  IdTokenExpectations expect;
  expect.previous = &previous;
  expect.original_nonce = "mine";
  const Json header = {{"alg", "ES256"}};
  EXPECT_TRUE(validate_id_token_claims(config, header, refreshed, expect, now_s * 1000));
  refreshed["nonce"] = "someone-else";
  EXPECT_FALSE(validate_id_token_claims(config, header, refreshed, expect, now_s * 1000));
  refreshed.erase("nonce");  // §12.2: SHOULD NOT carry one; fine without
  EXPECT_TRUE(validate_id_token_claims(config, header, refreshed, expect, now_s * 1000));
  refreshed["sub"] = "mallory";
  EXPECT_EQ(validate_id_token_claims(config, header, refreshed, expect, now_s * 1000).error().code,
            ErrorCode::invalid_id_token);
}

}  // namespace
}  // namespace authwasm
