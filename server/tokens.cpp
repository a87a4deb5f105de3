#include "tokens.hpp"

#include "access_cache.hpp"
#include "base/base64url.hpp"
#include "clock.hpp"
#include "config.hpp"
#include "store.hpp"

namespace authwasm::server {

namespace {

// Verified access tokens held at once (access_cache.hpp): a few hundred bytes each, so about
// 5 MB when full. More live tokens than this only cost full signature checks again.
constexpr std::size_t kVerifiedAccessTokens = 10000;

}  // namespace

const char* access_token_time_refusal(int64_t exp, int64_t iat, int64_t now) {
  if (exp <= now) return "The access token expired";
  if (iat > now + 60) return "the access token was issued in the future";
  return nullptr;
}

TokenIssuer::TokenIssuer(const Config& config, KeyRing& keys)
    : config_(config), keys_(keys), verified_(std::make_unique<AccessTokenCache>(kVerifiedAccessTokens)) {
  AccessTokenCache* cache = verified_.get();
  keys_.on_dropped([cache] { cache->clear(); });  // a key deleted from the store verifies nothing
}

TokenIssuer::~TokenIssuer() { keys_.on_dropped(nullptr); }

std::string TokenIssuer::sign(const std::string& claims, bool access, int64_t now_ms) const {
  const std::shared_ptr<const KeyRing::Snapshot> keys = keys_.snapshot();
  const KeyRing::Entry* signer = keys ? keys->signing(now_ms) : nullptr;
  if (!signer) return "";
  // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature); the
  // header of each kid was encoded when the key was loaded.
  std::string input = (access ? signer->access_header : signer->id_header) + "." + base64url_encode(claims);
  const std::string signature = signer->key->sign(input);
  if (signature.empty()) return "";
  return input + "." + base64url_encode(signature);
}

// The claims are written as text (JsonWriter), in this order, without building a Json first.
// Both tokens start with iss, sub, aud, exp and iat (RFC 9068 §2.2, OIDC Core §2).
JsonWriter TokenIssuer::common_claims(const std::string& sub, const std::string& client_id, int64_t now) const {
  JsonWriter claims;
  claims.string("iss", config_.issuer);
  claims.string("sub", sub);
  claims.string("aud", client_id);
  claims.number("exp", now + config_.access_ttl);
  claims.number("iat", now);
  return claims;
}

std::string TokenIssuer::access_token(const std::string& sub, const std::string& client_id,
                                      const std::string& sid, const std::string& scope, int64_t now_ms,
                                      const std::string& jkt) const {
  const int64_t now = numeric_date(now_ms);
  JsonWriter claims = common_claims(sub, client_id, now);
  claims.string("jti", new_secret().value_or(""));
  claims.string("sid", sid);
  claims.string("scope", scope);
  claims.string("client_id", client_id);
  if (!jkt.empty()) claims.value("cnf", Json{{"jkt", jkt}});  // RFC 9449 §6.1
  return sign(std::move(claims).close(), true, now_ms);
}

std::string TokenIssuer::id_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                                  int64_t auth_time, const std::string& nonce, int64_t now_ms) const {
  const int64_t now = numeric_date(now_ms);
  JsonWriter claims = common_claims(sub, client_id, now);
  claims.number("auth_time", auth_time);
  claims.string("azp", client_id);
  claims.string("sid", sid);
  if (!nonce.empty()) claims.string("nonce", nonce);  // OIDC Core §3.1.3.7 step 11
  return sign(std::move(claims).close(), false, now_ms);
}

BearerCheck TokenIssuer::verify_access_token(const std::string& token, int64_t now_ms) const {
  const int64_t now = numeric_date(now_ms);
  const AccessTokenCache::Key key = AccessTokenCache::key_of(token);
  BearerCheck check;
  if (auto claims = verified_->find(key, now)) {
    check.ok = true;
    check.claims = std::move(*claims);
    return check;
  }
  std::shared_ptr<const KeyRing::Snapshot> keys = keys_.snapshot();
  std::string unknown_kid;
  check = verify_signed_access_token(token, *keys, now_ms, unknown_kid);
  if (!unknown_kid.empty() && keys_.reload_for_unknown_kid(unknown_kid, now_ms)) {
    keys = keys_.snapshot();  // a key staged elsewhere since our last reload
    check = verify_signed_access_token(token, *keys, now_ms, unknown_kid);
  }
  // The cache answers by exp alone, so it must never outlive the key: it takes a token only
  // if exp comes no later than its key's retire_at. By construction it always does: a key
  // signs only before its successor's activate_at, and retire_at = that activate_at + the
  // longest token lifetime + a margin (plan_rotation, key_ring.hpp); a token that does not
  // (a clock far ahead) is verified in full on every use, which refuses it from retire_at on.
  // A key deleted from the store clears the cache (the constructor).
  if (check.ok) {
    const KeyRing::Entry* signer = keys->published(check.kid, now_ms);
    if (signer && (signer->times.retire_at_ms == 0 || millis(check.claims.exp) <= signer->times.retire_at_ms)) {
      verified_->insert(key, check.claims, now);
    }
  }
  return check;
}

Json TokenIssuer::jwks(int64_t now_ms) const { return keys_.snapshot()->jwks(now_ms); }

BearerCheck TokenIssuer::verify_signed_access_token(const std::string& token, const KeyRing::Snapshot& keys,
                                                    int64_t now_ms, std::string& unknown_kid) const {
  const int64_t now = numeric_date(now_ms);
  unknown_kid.clear();
  BearerCheck check;
  auto verified = verify_jws(token, keys.verify_keys, {JwsAlgorithm::ES256});
  if (!verified) {
    check.description = verified.error().message;
    // Only the kid matters here; the token was not verified.
    auto decoded = decode_jwt(token);
    auto kid = decoded ? get_string(decoded.value().header, "kid") : std::nullopt;
    if (kid && !kid->empty() && kid->size() <= 128 && !keys.knows(*kid)) unknown_kid = *kid;
    return check;
  }
  const DecodedJwt& jwt = verified.value();
  if (get_string(jwt.header, "typ") != std::optional<std::string>(kAccessTokenTyp)) {
    check.description = "not an access token (typ is not at+jwt, RFC 9068 §4)";
    return check;
  }
  // Every token we sign names its key; that key must be published now (key_ring.hpp).
  check.kid = get_string(jwt.header, "kid").value_or("");
  if (check.kid.empty()) {
    check.description = "the access token has no kid";
    return check;
  }
  if (!keys.published(check.kid, now_ms)) {
    check.description = "the access token's signing key is retired or not yet published";
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
