// base64url without padding (RFC 4648 §5, as JWS uses it: RFC 7515 §2 and Appendix C).
// Properties: decode∘encode = id on every byte string; the decoder is strict, so whatever it
// accepts re-encodes to exactly the input (one encoding per byte string, §3.5 zero pad bits);
// and it accepts exactly the alphabet strings whose length is not 1 mod 4 and whose last
// character carries zero pad bits.
#include <cstdint>
#include <string>

#include "base/base64url.hpp"
#include "fuzz_support.hpp"

namespace {
bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '-' ? 62 : 63;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace authwasm;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Round trip: every byte string.
  const std::string encoded = base64url_encode(input);
  FUZZ_CHECK(encoded.size() == (size * 4 + 2) / 3, "unpadded length is ceil(4n/3)");
  for (char c : encoded) FUZZ_CHECK(in_alphabet(c), "encoder writes only the URL-safe alphabet");
  auto back = base64url_decode(encoded);
  FUZZ_CHECK(back.ok() && back.value() == input, "decode(encode(x)) == x");

  // The input as an encoding.
  auto decoded = base64url_decode(input);
  bool expected = size % 4 != 1;
  for (char c : input) expected = expected && in_alphabet(c);
  if (expected && size % 4 != 0) {
    const int pad_bits = size % 4 == 2 ? 4 : 2;
    expected = (value_of(input.back()) & ((1 << pad_bits) - 1)) == 0;
  }
  FUZZ_CHECK(decoded.ok() == expected, "the decoder accepts exactly the canonical encodings");
  if (decoded) {
    FUZZ_CHECK(decoded.value().size() == size * 3 / 4, "decoded length is floor(3n/4)");
    FUZZ_CHECK(base64url_encode(decoded.value()) == input, "encode(decode(s)) == s");
  } else {
    FUZZ_CHECK(decoded.error().code == ErrorCode::invalid_base64url, "refusals are invalid_base64url");
    fuzz::check_error(decoded.error());
  }
  return 0;
}
