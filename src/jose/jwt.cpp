#include "jose/jwt.hpp"

#include "base/base64url.hpp"

namespace authwasm {
namespace {

Error jwt_error(const char* message) { return make_error(ErrorCode::invalid_jwt, message); }
Error jwt_error(std::string&& message) { return make_error(ErrorCode::invalid_jwt, std::move(message)); }

Result<Json> decode_segment(std::string_view segment, const char* what) {
  if (segment.empty()) return jwt_error(std::string("JWT ") + what + " is empty");
  auto bytes = base64url_decode(segment);
  if (!bytes) return jwt_error(std::string("JWT ") + what + " is not base64url");
  auto object = parse_json_object(bytes.value());
  if (!object) return jwt_error(std::string("JWT ") + what + ": " + object.error().message);
  return object;
}

}  // namespace

Result<DecodedJwt> decode_jwt(std::string_view token) {
  if (token.size() > kMaxJwtLength) return jwt_error("JWT is too long");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return jwt_error("JWT must have exactly three segments (RFC 7519 §7.2); JWE is not supported");
  }
  auto header = decode_segment(token.substr(0, first), "header");
  if (!header) return header.error();
  if (!find_string(header.value(), "alg")) return jwt_error("JWT header has no string \"alg\"");
  if (header.value().contains("crit")) {
    return jwt_error("JWT header \"crit\" is not supported (RFC 7515 §4.1.11)");
  }
  auto claims = decode_segment(token.substr(first + 1, second - first - 1), "payload");
  if (!claims) return claims.error();
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return jwt_error("JWT signature is not base64url");
  return DecodedJwt{std::move(header).value(), std::move(claims).value(),
                    std::string(token.substr(0, second)), std::move(signature).value()};
}

Result<DecodedJwt> decode_jwt(const std::string& token) { return decode_jwt(std::string_view(token)); }

}  // namespace authwasm
