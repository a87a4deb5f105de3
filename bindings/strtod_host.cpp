// wasm build only: strtod() and its float/long double siblings answered by the host's
// parseFloat.
//
// nlohmann/json's lexer converts floating-point tokens with std::strtod. musl's strtod works
// in 128-bit long double, which wasm emulates in software: ~10 KB of gzip'd wasm for
// numbers an auth client barely sees (JWT NumericDates and expires_in are integers, parsed
// by strtoull/strtoll). ECMAScript's Number parsing is correctly rounded (ECMA-262
// §7.1.4.1.1), so the results are the same doubles musl would give for every JSON number.
// Scope: leading white space, then the decimal forms JSON allows (RFC 8259 §6) with an
// optional '+': all the lexer ever passes. Anything else converts nothing (returns 0 and
// *end = text), as strtod does for non-numbers. strtof/strtold are defined too, only because
// libc++'s string.o (std::stof, std::stold: unused) would otherwise pull musl's strtod.o in.
#include <emscripten.h>

#include <cctype>
#include <cstdlib>

// EM_JS stringifies its body, so the pattern avoids backslashes.
EM_JS(double, authwasm_host_parse_float, (const char* text, int* consumed), {
  const match = /^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?/.exec(UTF8ToString(text));
  HEAP32[consumed >> 2] = match ? match[0].length : 0;
  return match ? parseFloat(match[0]) : 0;
});

namespace {
double host_strtod(const char* text, char** end) {
  const char* start = text;
  while (std::isspace(static_cast<unsigned char>(*start))) ++start;
  int consumed = 0;
  const double value = authwasm_host_parse_float(start, &consumed);
  // A number is ASCII, so characters are bytes; no number means nothing consumed at all.
  if (end) *end = const_cast<char*>(consumed ? start + consumed : text);
  return value;
}
}  // namespace

extern "C" {
double strtod(const char* text, char** end) { return host_strtod(text, end); }
float strtof(const char* text, char** end) { return static_cast<float>(host_strtod(text, end)); }
long double strtold(const char* text, char** end) { return host_strtod(text, end); }
}
