// wasm build only: a small integer-only snprintf/vsnprintf.
//
// The only printf caller left in the modules is nlohmann/json's lexer ("<U+%.4X>" in the text
// of a parse error, which src/base/json.cpp's parser does not even read; src/base/json.cpp
// writes JSON itself). musl's printf engine costs ~7 KB of wasm for it, a general integer
// printf ~1.5 KB. This one implements the subset of C17 §7.21.6.1 that integer formatting
// needs, for arguments of 32 bits: flags '-' and '0', a decimal width and precision, the length
// modifiers hh h l z t, and the conversions d i u x X %. Anything else (c, s, o, floating
// point, flags '+' ' ' '#', a '*' width, a 64-bit ll or j, ...) is written as '?' and ends the
// output there, rather than misreading the arguments after it. tests/native/printf_ints_test.cpp
// compares it with the C library's snprintf.
#include <cstdarg>
#include <cstddef>

namespace {

int read_decimal(const char*& p) {
  int n = 0;
  while (*p >= '0' && *p <= '9') n = n * 10 + (*p++ - '0');
  return n;
}

}  // namespace

extern "C" int vsnprintf(char* out, std::size_t cap, const char* fmt, va_list args) {
  std::size_t len = 0;
  auto put = [&](char c) {
    if (len + 1 < cap) out[len] = c;
    ++len;
  };
  va_list ap;
  va_copy(ap, args);
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      put(*p);
      continue;
    }
    ++p;
    bool left = false, zero = false;
    for (;; ++p) {
      if (*p == '-') left = true;
      else if (*p == '0') zero = true;
      else break;
    }
    const int width = read_decimal(p);
    int precision = -1;
    if (*p == '.') precision = read_decimal(++p);
    // h and hh arguments arrive promoted to int; l, z and t are 32 bits on wasm32, like int.
    const bool narrow = *p == 'h' && p[1] == 'h';
    const bool half = *p == 'h' && !narrow;
    while (*p == 'h' || (*p == 'l' && p[1] != 'l') || *p == 'z' || *p == 't') ++p;
    const char conv = *p;
    const bool integer = conv == 'd' || conv == 'i' || conv == 'u' || conv == 'x' || conv == 'X';
    if (!integer && conv != '%') {  // not supported here (see the header comment): stop
      put('?');
      break;
    }
    char buffer[16];  // the text of one conversion, right-aligned: 32-bit numbers fit
    char* const end = buffer + sizeof buffer;
    char* at = end;
    bool negative = false;
    if (integer) {
      const bool is_signed = conv == 'd' || conv == 'i';
      unsigned v = va_arg(ap, unsigned);
      if (narrow) v = is_signed ? static_cast<unsigned>(static_cast<signed char>(v)) : static_cast<unsigned char>(v);
      if (half) v = is_signed ? static_cast<unsigned>(static_cast<short>(v)) : static_cast<unsigned short>(v);
      if (is_signed && static_cast<int>(v) < 0) {
        negative = true;
        v = 0u - v;
      }
      const unsigned base = conv == 'x' || conv == 'X' ? 16 : 10;
      const char* alphabet = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      for (; v != 0; v /= base) *--at = alphabet[v % base];
      if (precision < 0 && at == end) *--at = '0';  // "%.0d" of 0 prints nothing
      while (end - at < precision && at > buffer) *--at = '0';
      if (precision >= 0) zero = false;
    } else {
      *--at = '%';
    }
    int pad = width - static_cast<int>(end - at) - (negative ? 1 : 0);
    if (!left && !zero) for (; pad > 0; --pad) put(' ');
    if (negative) put('-');
    if (!left && zero) for (; pad > 0; --pad) put('0');
    while (at < end) put(*at++);
    for (; pad > 0; --pad) put(' ');
  }
  va_end(ap);
  if (cap > 0) out[len < cap ? len : cap - 1] = '\0';
  return static_cast<int>(len);
}

extern "C" int snprintf(char* out, std::size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  return n;
}
