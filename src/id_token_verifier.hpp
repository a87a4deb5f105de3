// The opt-in verifier module's core (dist/authwasm-verify.{js,wasm}, package subpath
// "authwasm/verify"): ID token signature verification against the provider's JWKS
// (RFC 7515 §5.2, RFC 7517 §5, OIDC Core §3.1.3.7 step 6 / §10.1). Uses jws_verify.cpp and
// thus OpenSSL's EVP layer, which is why it is a module of its own: apps that do not enable
// it never download it. Claims are checked by the default module (tokens.cpp), not here.
#pragma once
#include <string>
#include <string_view>

namespace authwasm {

// The verifier module's single entry point, like authwasm::call: JSON in, JSON out.
//   "verify" {token, jwks: {status, contentType, body, truncated}}
//     → {ok: true, alg, kid}
//     | {ok: false, code, message, unknownKid}: unknownKid says "refetch the JWKS once".
// Codes: invalid_response (JWKS answer unusable), invalid_id_token (alg, kid, signature).
std::string verifier_call(std::string_view op, std::string_view args_json);

}  // namespace authwasm
