#include "tokens.hpp"

#include "access_cache.hpp"
#include "base/base64url.hpp"
#include "config.hpp"
#include "store.hpp"

namespace authwasm::server {

namespace {

// Verified access tokens held at once (access_cache.hpp): a few hundred bytes each, so about
// 5 MB when full. More live tokens than this only cost full signature checks again.
constexpr std::size_t kVerifiedAccessTokens = 10000;

constexpr char kAccessTokenTyp[] = "at+jwt";  // RFC 9068 §2.1
constexpr char kIdTokenTyp[] = "JWT";         // OIDC Core §2 (RFC 7519 §5.1)

JwkSet own_jwks(const SigningKey& key) {
  auto parsed = JwsKey::from_jwk(key.public_jwk());
  std::vector<JwsKey> keys;
  if (parsed) keys.push_back(std::move(parsed).value());
  return JwkSet::of(std::move(keys));
}
}  // namespace

const char* access_token_time_refusal(int64_t exp, int64_t iat, int64_t now) {
  if (exp <= now) return "The access token expired";
  if (iat > now + 60) return "the access token was issued in the future";
  return nullptr;
}

TokenIssuer::TokenIssuer(const Config& config, const SigningKey& key)
    : config_(config), key_(key), jwks_(own_jwks(key)),
      verified_(std::make_unique<AccessTokenCache>(kVerifiedAccessTokens)), header_kid_(key.kid()),
      access_header_(encoded_header(kAccessTokenTyp)), id_header_(encoded_header(kIdTokenTyp)) {}

TokenIssuer::~TokenIssuer() = default;

std::string TokenIssuer::encoded_header(const char* typ) const {
  return base64url_encode(dump_json(Json{{"alg", "ES256"}, {"typ", typ}, {"kid", key_.kid()}}));
}

std::string TokenIssuer::sign(const Json& claims, const char* typ, const std::string& header) const {
  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature). `header`
  // was encoded at construction; it is encoded again only if the key's kid changed since.
  std::string input =
      (key_.kid() == header_kid_ ? header : encoded_header(typ)) + "." + base64url_encode(dump_json(claims));
  const std::string signature = key_.sign(input);
  return input + "." + base64url_encode(signature);
}

std::string TokenIssuer::access_token(const std::string& sub, const std::string& client_id,
                                      const std::string& sid, const std::string& scope, int64_t now,
                                      const std::string& jkt) const {
  Json claims = {{"iss", config_.issuer}, {"sub", sub},        {"aud", client_id},
                 {"exp", now + config_.access_ttl},            {"iat", now},
                 {"jti", new_secret().value_or("")},           {"sid", sid},
                 {"scope", scope},        {"client_id", client_id}};
  if (!jkt.empty()) claims["cnf"] = Json{{"jkt", jkt}};  // RFC 9449 §6.1
  return sign(claims, kAccessTokenTyp, access_header_);
}

std::string TokenIssuer::id_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                                  int64_t auth_time, const std::string& nonce, int64_t now) const {
  Json claims = {{"iss", config_.issuer}, {"sub", sub},     {"aud", client_id},
                 {"exp", now + config_.access_ttl},         {"iat", now},
                 {"auth_time", auth_time}, {"azp", client_id}, {"sid", sid}};
  if (!nonce.empty()) claims["nonce"] = nonce;  // OIDC Core §3.1.3.7 step 11
  return sign(claims, kIdTokenTyp, id_header_);
}

BearerCheck TokenIssuer::verify_access_token(const std::string& token, int64_t now) const {
  const AccessTokenCache::Key key = AccessTokenCache::key_of(token);
  BearerCheck check;
  if (auto claims = verified_->find(key, now)) {
    check.ok = true;
    check.claims = std::move(*claims);
    return check;
  }
  check = verify_signed_access_token(token, now);
  if (check.ok) verified_->insert(key, check.claims, now);
  return check;
}

BearerCheck TokenIssuer::verify_signed_access_token(const std::string& token, int64_t now) const {
  BearerCheck check;
  auto verified = verify_jws(token, jwks_, {JwsAlgorithm::ES256});
  if (!verified) {
    check.description = verified.error().message;
    return check;
  }
  const DecodedJwt& jwt = verified.value();
  if (get_string(jwt.header, "typ") != std::optional<std::string>(kAccessTokenTyp)) {
    check.description = "not an access token (typ is not at+jwt, RFC 9068 §4)";
    return check;
  }
  const Json& c = jwt.claims;
  auto iss = get_string(c, "iss");
  auto aud = get_string(c, "aud");
  auto exp = get_int(c, "exp");
  auto iat = get_int(c, "iat");
  auto sub = get_string(c, "sub");
  auto sid = get_string(c, "sid");
  auto jti = get_string(c, "jti");
  auto scope = get_string(c, "scope");
  if (!iss || *iss != config_.issuer) {
    check.description = "the access token was issued by someone else";
  } else if (!aud || !config_.client(*aud)) {
    check.description = "the access token's audience is not a registered client";
  } else if (!exp || !iat || !sub || !sid || !jti || !scope) {
    check.description = "the access token lacks required claims";
  } else if (const char* refusal = access_token_time_refusal(*exp, *iat, now)) {
    check.description = refusal;
  } else if (c.contains("cnf") && !get_string(c["cnf"], "jkt")) {
    check.description = "the access token's cnf has no jkt";  // RFC 9449 §6.1
  } else {
    check.ok = true;
    const std::string jkt = c.contains("cnf") ? get_string(c["cnf"], "jkt").value_or("") : "";
    check.claims = AccessClaims{*sub, *sid, *scope, *aud, *jti, *exp, *iat, jkt};
  }
  return check;
}

}  // namespace authwasm::server
