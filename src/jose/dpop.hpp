// DPoP (RFC 9449): the pieces of a proof the client builds (the private key never leaves
// WebCrypto: js/dpop.js signs the signing input built here) and the reference server checks.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "base/json.hpp"
#include "base/result.hpp"

namespace authwasm {

// A public EC P-256 key (RFC 7518 §6.2.1): base64url of the 32-byte coordinates.
struct EcPublicJwk {
  std::string x, y;
  static Result<EcPublicJwk> from_json(const Json& jwk);  // kty EC, crv P-256; "d" is refused
  Json to_json() const;                                   // exactly {crv, kty, x, y}
  std::string to_json_text() const;                       // the same as text, in that order (RFC 7638 §3.2)
};

// RFC 9449 §4.3 check 9: htu compared without query and fragment, after RFC 3986 §6.2.2
// syntax-based normalisation (scheme and host lower-cased, percent-encoding hex upper-cased
// and unreserved characters decoded, dot segments removed) and §6.2.3 scheme-based (default
// port dropped, empty path as "/"). nullopt when it is not an absolute http(s) URL.
std::optional<std::string> normalize_htu(std::string_view url);

// RFC 7638 §3.2: base64url(SHA-256) of {"crv","kty","x","y"} in that order, no whitespace.
std::string jwk_thumbprint(const EcPublicJwk& key);

// RFC 9449 §4.2 ath: base64url(SHA-256(ASCII(access token))).
std::string access_token_hash(std::string_view access_token);

struct DpopClaims {
  std::string htm, htu;  // htu: the request URL (normalised here)
  long long iat_s = 0;
  std::string ath;       // resource requests (§7)
  std::string nonce;     // the server's last DPoP-Nonce for this origin (§8, §9)
};

// The proof's JWS Signing Input (RFC 7515 §5.1): header {typ:"dpop+jwt", alg:"ES256", jwk},
// claims {jti (128 random bits), htm, htu, iat[, ath][, nonce]}.
Result<std::string> dpop_signing_input(const EcPublicJwk& key, const DpopClaims& claims);

// signing input '.' base64url(signature): the 64-byte r‖s of RFC 7518 §3.4, which is what
// WebCrypto's ECDSA sign returns.
Result<std::string> assemble_compact_jws(std::string_view signing_input, std::string_view signature);

}  // namespace authwasm
