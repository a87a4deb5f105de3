// JWS signature verification (RFC 7515 §5.2) for JWTs signed with ES256 or RS256
// (RFC 7518 §3.4, §3.3), with keys taken from JWKs (RFC 7517).
//
// The checks here need no arithmetic; the signature math is in one of two implementations
// (jws_backend.hpp): OpenSSL EVP natively (authwasm_jws, the reference server), BN/EC_POINT
// arithmetic in the opt-in wasm verifier module (EVP would pull OpenSSL's whole default
// provider, ~400 KB gzip, into it). Neither is part of AUTHWASM_CORE_SOURCES.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.hpp"
#include "jose/jws_backend.hpp"
#include "jose/jwt.hpp"
#include "base/result.hpp"

namespace authwasm {

enum class JwsAlgorithm { ES256, RS256 };

// Exact, case-sensitive names (RFC 7518 §3.1). "none" and everything else: nullopt.
std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name);
const char* jws_algorithm_name(JwsAlgorithm alg);

// A public verification key built from a JWK (RFC 7517 §4, RFC 7518 §6.2.1 / §6.3.1).
class JwsKey {
 public:
  // EC keys: kty "EC", crv "P-256", x, y (32 bytes each, the point must be on the curve).
  // RSA keys: kty "RSA", n (odd, 2048–16384 bits), e (odd, > 1). Private members ("d", ...)
  // are ignored.
  // If "use" is present it must be "sig"; if "alg" is present it binds the key to it.
  static Result<JwsKey> from_jwk(const Json& jwk);

  const std::string& kid() const { return kid_; }
  JwsAlgorithm algorithm() const { return alg_; }
  bool alg_pinned() const { return alg_pinned_; }
  const JwsPublicKey& public_key() const { return *public_key_; }

 private:
  JwsKey() = default;
  JwsPublicKeyPtr public_key_;
  std::string kid_;
  JwsAlgorithm alg_ = JwsAlgorithm::ES256;  // implied by kty unless pinned by "alg"
  bool alg_pinned_ = false;
};

// A JWK Set (RFC 7517 §5). Keys that are unusable for ES256/RS256 (other kty, "use":"enc",
// unknown "alg") are skipped, as §5 allows; an object with no usable key is an error.
class JwkSet {
 public:
  static Result<JwkSet> from_json(const Json& jwks);
  static JwkSet of(std::vector<JwsKey> keys);
  const std::vector<JwsKey>& keys() const { return keys_; }

 private:
  std::vector<JwsKey> keys_;
};

// RFC 7515 §5.2 for a JWS Compact Serialization JWT: decode (jwt.hpp), refuse any alg not in
// `allowed` (so "none" and HS256 key-confusion are impossible, RFC 8725 §3.1), pick the key by
// "kid" (or the only key of that type when the header has no kid), verify the signature.
// For ES256 the signature must be the 64-byte R || S form of RFC 7518 §3.4, not DER.
// Claims are NOT checked here (exp, iss, aud, ...): that is the caller's policy.
Result<DecodedJwt> verify_jws(std::string_view token, const JwkSet& keys,
                              const std::vector<JwsAlgorithm>& allowed);

// The signature check alone, for a decoded JWT and one key.
bool verify_jws_signature(const DecodedJwt& jwt, const JwsKey& key, JwsAlgorithm alg);

}  // namespace authwasm
