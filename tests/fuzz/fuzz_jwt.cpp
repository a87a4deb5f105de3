// decode_jwt (RFC 7515 §7.1 compact serialization, RFC 7519 §7.2 validation steps 1-8 minus
// the signature). Two modes, chosen by the first byte:
//   even: the rest is the token itself (random bytes, truncated or mangled JWTs);
//   odd:  the rest is "<header JSON>\n<payload JSON>\n<signature bytes>", encoded here into a
//         token, so the fuzzer reaches the JSON checks behind the base64url layer; the decode
//         must succeed exactly when the header is an object with a string "alg" and no "crit",
//         the payload is an object, both are strict JSON, and the token fits kMaxJwtLength.
#include <cstdint>
#include <string>

#include "base/base64url.hpp"
#include "fuzz_support.hpp"
#include "jose/jwt.hpp"

namespace {

using namespace authwasm;

void check_decoded(std::string_view token, const Result<DecodedJwt>& jwt) {
  if (!jwt) {
    FUZZ_CHECK(jwt.error().code == ErrorCode::invalid_jwt, "refusals are invalid_jwt");
    fuzz::check_error(jwt.error());
    return;
  }
  const DecodedJwt& d = jwt.value();
  FUZZ_CHECK(token.size() <= kMaxJwtLength, "accepted tokens fit the cap");
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  FUZZ_CHECK(first != std::string_view::npos && second != std::string_view::npos &&
             token.find('.', second + 1) == std::string_view::npos, "exactly three segments");
  FUZZ_CHECK(first > 0 && second > first + 1, "header and payload segments are non-empty");
  FUZZ_CHECK(d.signing_input == token.substr(0, second), "signing input is header.payload as sent");
  // Strict base64url: the one accepted encoding of the signature is the one that was sent.
  FUZZ_CHECK(base64url_encode(d.signature) == token.substr(second + 1), "signature re-encodes to its segment");
  FUZZ_CHECK(d.header.is_object() && d.claims.is_object(), "header and claims are objects");
  FUZZ_CHECK(get_string(d.header, "alg").has_value(), "header has a string alg");
  FUZZ_CHECK(!d.header.contains("crit"), "crit is refused");
  auto header_bytes = base64url_decode(token.substr(0, first));
  FUZZ_CHECK(header_bytes && base64url_encode(header_bytes.value()) == token.substr(0, first), "canonical header");
  auto header_again = parse_json_object(header_bytes.value());
  FUZZ_CHECK(header_again && header_again.value() == d.header, "header decodes to the same value twice");
  // Serialisable for JS (decodeJwt answers these objects).
  FUZZ_CHECK(!d.header.dump().empty() && !d.claims.dump().empty(), "dumpable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    check_decoded("", decode_jwt(""));
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    check_decoded(rest, decode_jwt(rest));
    return 0;
  }
  const auto nl1 = rest.find('\n');
  const auto nl2 = nl1 == std::string_view::npos ? nl1 : rest.find('\n', nl1 + 1);
  const std::string_view header = rest.substr(0, nl1);
  const std::string_view payload = nl1 == std::string_view::npos ? std::string_view() : rest.substr(nl1 + 1, nl2 - nl1 - 1);
  const std::string_view signature = nl2 == std::string_view::npos ? std::string_view() : rest.substr(nl2 + 1);
  const std::string token = base64url_encode(header) + "." + base64url_encode(payload) + "." + base64url_encode(signature);
  auto jwt = decode_jwt(token);
  check_decoded(token, jwt);

  auto h = parse_json_object(header);
  auto p = parse_json_object(payload);
  const bool expected = token.size() <= kMaxJwtLength && !header.empty() && !payload.empty() && h && p &&
                        get_string(h.value(), "alg") && !h.value().contains("crit");
  FUZZ_CHECK(jwt.ok() == expected, "decode_jwt accepts exactly well-formed header and payload objects");
  if (jwt) {
    FUZZ_CHECK(jwt.value().header == h.value() && jwt.value().claims == p.value(), "decoded what was encoded");
    FUZZ_CHECK(jwt.value().signature == signature, "signature bytes survive");
  }
  return 0;
}
