// The verifier module's exports (dist/authwasm-verify.{js,wasm}), plain C functions rather than
// Embind: Embind's runtime would be most of the module's glue JS (js/verify.js calls these).
//
//   authwasm_verify(token, tokenLength, body, bodyLength, contentType, contentTypeLength,
//                   status, truncated) → a pointer to {data, size} of the answer, valid until
//                   the next call, UTF-8 lines:
//     "ok" \n alg \n kid                          (kid last: it may hold any character)
//     code \n ("1" | "0": unknownKid) \n message
// No exception crosses into JS (the module is built with -fno-exceptions).
#include <emscripten/emscripten.h>

#include <cstdint>
#include <string>

#include "jose/id_token_verifier.hpp"

namespace {
struct Answer {
  const char* data;
  std::uint32_t size;
};
std::string answer_text;
Answer answer;
}  // namespace

extern "C" EMSCRIPTEN_KEEPALIVE const Answer* authwasm_verify(const char* token, std::size_t token_length,
                                                             const char* body, std::size_t body_length,
                                                             const char* content_type, std::size_t content_type_length,
                                                             int status, int truncated) {
  authwasm::HttpResponse jwks;
  jwks.status = status;
  jwks.content_type.assign(content_type, content_type_length);
  jwks.body.assign(body, body_length);
  jwks.truncated = truncated != 0;
  const auto result = authwasm::verify_id_token_signature(std::string_view(token, token_length), jwks);
  answer_text = result.ok ? "ok\n" + result.alg + "\n" + result.kid
                          : std::string(authwasm::to_string(result.code)) + (result.unknown_kid ? "\n1\n" : "\n0\n") + result.message;
  answer = {answer_text.data(), static_cast<std::uint32_t>(answer_text.size())};
  return &answer;
}
