#include "jose/id_token_verifier.hpp"

#include "base/json.hpp"
#include "jose/jws_verify.hpp"
#include "jose/jwt.hpp"

namespace authwasm {
namespace {

IdTokenSignature failure(ErrorCode code, std::string message, bool unknown_kid = false) {
  IdTokenSignature result;
  result.code = code;
  result.message = std::move(message);
  result.unknown_kid = unknown_kid;
  return result;
}

// RFC 7517 §5 / §8.5.1: an answer from jwks_uri is a JSON object with a "keys" array.
Result<JwkSet> jwks_from_response(const HttpResponse& response) {
  auto bad = [](std::string m) { return make_error(ErrorCode::invalid_response, "jwks: " + std::move(m)); };
  if (response.status != 200) return bad("HTTP " + std::to_string(response.status));
  if (response.truncated) return bad("larger than maxResponseBytes");
  if (!is_json_content_type(response.content_type)) return bad("not application/json or application/jwk-set+json");
  auto parsed = parse_json_object(response.body);
  if (!parsed) return bad(parsed.error().message);
  auto set = JwkSet::from_json(parsed.value());
  if (!set) return bad(set.error().message);
  return set;
}

}  // namespace

IdTokenSignature verify_id_token_signature(std::string_view token, const HttpResponse& jwks) {
  auto keys = jwks_from_response(jwks);
  if (!keys) return failure(keys.error().code, keys.error().message);

  auto jwt = decode_jwt(token);
  if (!jwt) return failure(ErrorCode::invalid_id_token, "ID token: " + jwt.error().message);
  // A kid the key set does not know: the provider may have rotated its keys since the JWKS
  // was fetched. The caller refetches once (never in a loop) and asks again.
  if (jwt.value().header.contains("kid")) {
    auto kid = get_string(jwt.value().header, "kid");
    bool known = false;
    for (const JwsKey& key : keys.value().keys()) known = known || (kid && key.kid() == *kid);
    if (!known) return failure(ErrorCode::invalid_id_token, "ID token: no key in the JWKS has its kid", true);
  }
  // RFC 8725 §3.1: an allow-list, so "none" and HMAC (key confusion) never verify.
  auto verified = verify_jws(token, keys.value(), {JwsAlgorithm::ES256, JwsAlgorithm::RS256});
  if (!verified) return failure(ErrorCode::invalid_id_token, "ID token: " + verified.error().message);
  IdTokenSignature result;
  result.ok = true;
  result.alg = get_string(verified.value().header, "alg").value_or("");
  result.kid = get_string(verified.value().header, "kid").value_or("");
  return result;
}

}  // namespace authwasm
