// The opt-in verifier module's core (dist/authwasm-verify.{js,wasm}, package subpath
// "authwasm/verify"): ID token signature verification against the provider's JWKS
// (RFC 7515 §5.2, RFC 7517 §5, OIDC Core §3.1.3.7 step 6 / §10.1). Uses jws_verify.cpp with
// the BN implementation (jws_bn_verify.cpp) in wasm; it is a module of its own so that apps
// that do not enable it never download it. Claims are checked by the default module
// (tokens.cpp), not here.
#pragma once
#include <string>
#include <string_view>

#include "base/http.hpp"
#include "base/result.hpp"

namespace authwasm {

struct IdTokenSignature {
  bool ok = false;
  // When !ok: invalid_response (the JWKS answer is unusable), invalid_id_token (alg, kid,
  // signature) or invalid_argument.
  ErrorCode code = ErrorCode::invalid_argument;
  std::string message;
  bool unknown_kid = false;  // "refetch the JWKS once": the provider may have rotated its keys
  std::string alg, kid;      // when ok: the verified header's
};

// Verifies `token`'s signature with the key its header names in `jwks`, the answer from the
// provider's jwks_uri (status, content type, body, truncated: RFC 7517 §5, §8.5.1).
IdTokenSignature verify_id_token_signature(std::string_view token, const HttpResponse& jwks);

}  // namespace authwasm
