// JWTs the server issues (RFC 9068-style access tokens, OIDC Core §2 ID tokens), signed
// ES256 with the persisted key, and verification of bearer access tokens through the core's
// authwasm_jws (the same verifier a client may use).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "jose/jws_verify.hpp"
#include "keys.hpp"

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
};

// The clock rule of an access token: nullptr if it may be used at `now` (NumericDate seconds),
// else the error_description. Expired when exp <= now (RFC 7519 §4.1.4: not accepted "on or
// after" exp); refused when iat is more than 60 s ahead (clock skew allowance, RFC 7519 §4.1.6).
// Shared by the full check and the cache of verified tokens (access_cache.hpp).
const char* access_token_time_refusal(int64_t exp, int64_t iat, int64_t now);

class TokenIssuer {
 public:
  TokenIssuer(const Config& config, const SigningKey& key);
  ~TokenIssuer();

  std::string access_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                           const std::string& scope, int64_t now, const std::string& jkt = "") const;
  std::string id_token(const std::string& sub, const std::string& client_id, const std::string& sid,
                       int64_t auth_time, const std::string& nonce, int64_t now) const;

  // Signature (ES256, our kid), iss, aud (a registered client), exp, iat, sub, sid, jti.
  // A token that passed once is answered from a bounded cache (access_cache.hpp) until its
  // exp, by the same clock rule; any other token is checked in full.
  BearerCheck verify_access_token(const std::string& token, int64_t now) const;

  const JwkSet& jwks() const { return jwks_; }

 private:
  std::string encoded_header(const char* typ) const;  // BASE64URL(JOSE header), RFC 7515 §7.1
  std::string sign(const Json& claims, const char* typ, const std::string& header) const;
  BearerCheck verify_signed_access_token(const std::string& token, int64_t now) const;
  const Config& config_;
  const SigningKey& key_;
  JwkSet jwks_;
  std::unique_ptr<AccessTokenCache> verified_;  // the key set above is fixed for its lifetime
  std::string header_kid_, access_header_, id_header_;  // the two headers, for key_.kid() at construction
};

}  // namespace authwasm::server
