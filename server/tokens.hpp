// JWTs the server issues (RFC 9068-style access tokens, OIDC Core §2 ID tokens), signed
// ES256 with the key ring's signing key (key_ring.hpp), and verification of bearer access
// tokens through the core's authwasm_jws (the same verifier a client may use) against every
// published key.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "base/json.hpp"
#include "jose/jws_verify.hpp"
#include "key_ring.hpp"

namespace authwasm::server {

struct Config;
class AccessTokenCache;

struct AccessClaims {
  std::string sub, sid, scope, client_id, jti;
  int64_t exp = 0, iat = 0;
  std::string jkt;  // cnf.jkt (RFC 9449 §6.1): the token is DPoP-bound to that key; "" for Bearer
};

struct BearerCheck {
  bool ok = false;
  std::string description;  // for WWW-Authenticate error_description (RFC 6750 §3)
  AccessClaims claims;
  std::string kid;          // the signing key's, once the signature verified
};

// The clock rule of an access token: nullptr if it may be used at `now` (NumericDate seconds),
// else the error_description. Expired when exp <= now (RFC 7519 §4.1.4: not accepted "on or
// after" exp); refused when iat is more than 60 s ahead (clock skew allowance, RFC 7519 §4.1.6).
// Shared by the full check and the cache of verified tokens (access_cache.hpp).
const char* access_token_time_refusal(int64_t exp, int64_t iat, int64_t now);

class TokenIssuer {
 public:
  // `keys` must outlive the issuer; the issuer forgets verified tokens when a reload drops a kid.
  TokenIssuer(const Config& config, KeyRing& keys);
  ~TokenIssuer();

  // Signed by the ring's signing key at `now_ms`; "" when no key may sign (every stored key
  // retired or not yet active: a store edited by hand).
  std::string access_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                           const std::string& scope, int64_t now_ms, const std::string& jkt = "") const;
  std::string id_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                       int64_t auth_time, const std::string& nonce, int64_t now_ms) const;

  // Signature (ES256, a kid published at `now_ms`), iss, aud (a registered client), exp, iat,
  // sub, sid, jti. A kid the ring does not know makes it reload (rate-limited) and try again:
  // a key staged by another instance. A token that passed once is answered from a bounded
  // cache (access_cache.hpp) until its exp, by the same clock rule; any other token is
  // checked in full.
  BearerCheck verify_access_token(const std::string& token, int64_t now_ms) const;

  // GET /.well-known/jwks.json: every key published at `now_ms`.
  Json jwks(int64_t now_ms) const;

 private:
  std::string sign(const std::string& claims, bool access, int64_t now_ms) const;  // claims: JSON text
  JsonWriter common_claims(const std::string& sub, const std::string& client_id, int64_t now) const;
  BearerCheck verify_signed_access_token(const std::string& token, const KeyRing::Snapshot& keys, int64_t now_ms,
                                         std::string& unknown_kid) const;
  const Config& config_;
  KeyRing& keys_;
  std::unique_ptr<AccessTokenCache> verified_;
};

}  // namespace authwasm::server
