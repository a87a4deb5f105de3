// Shared by the fuzz targets: invariant checks that abort with a message (libFuzzer and the
// replay runner both report an abort as a failure), and helpers the invariants need.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/result.hpp"

#define FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  (%s)\n", __FILE__,        \
                   __LINE__, what, #cond);                                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace authwasm::fuzz {

// RFC 3629 §4: well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
// Every string the core hands to JS (error messages included) goes through a JSON dump,
// which aborts on anything else.
inline bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; min = 0x80; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; min = 0x800; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; min = 0x10000; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// What every refusal must look like: a code from the public list and a message JS can carry.
inline void check_error(const Error& e) {
  const std::string code = to_string(e.code);
  FUZZ_CHECK(!code.empty() && code != "internal", "error code has a stable name");
  FUZZ_CHECK(is_utf8(e.message), "error message is valid UTF-8 (it becomes a JSON string for JS)");
}

}  // namespace authwasm::fuzz
