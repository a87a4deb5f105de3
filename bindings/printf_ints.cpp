// wasm build only: an integer-only snprintf/vsnprintf.
//
// The only printf callers in the module are nlohmann/json's (serializer: "\\u%04x" escapes
// for control characters; lexer: "<U+%.4X>" in parse-error messages). musl's printf engine
// costs ~7 KB of wasm for them. This one implements the integer subset of C17 §7.21.6.1:
// flags '-' '0' '+' ' ' '#', width and precision (digits or '*'), length modifiers
// hh h l ll j z t, conversions d i u o x X c s %. A floating-point or other conversion is
// written as '?' rather than silently misread: nothing in this module uses one (the tests
// pin the formats nlohmann uses).
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

struct Sink {
  char* out;
  std::size_t cap;
  std::size_t len = 0;
  void put(char c) {
    if (len + 1 < cap) out[len] = c;
    ++len;
  }
  void repeat(char c, int n) {
    for (int i = 0; i < n; ++i) put(c);
  }
};

int read_number(const char*& p, va_list& ap) {
  if (*p == '*') {
    ++p;
    return va_arg(ap, int);
  }
  int n = 0;
  while (*p >= '0' && *p <= '9') n = n * 10 + (*p++ - '0');
  return n;
}

}  // namespace

extern "C" int vsnprintf(char* out, std::size_t cap, const char* fmt, va_list args) {
  Sink sink{out, cap};
  va_list ap;
  va_copy(ap, args);
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      sink.put(*p);
      continue;
    }
    ++p;
    bool left = false, zero = false, plus = false, space = false, alt = false;
    for (;; ++p) {
      if (*p == '-') left = true;
      else if (*p == '0') zero = true;
      else if (*p == '+') plus = true;
      else if (*p == ' ') space = true;
      else if (*p == '#') alt = true;
      else break;
    }
    int width = read_number(p, ap);
    if (width < 0) left = true, width = -width;
    int precision = -1;
    if (*p == '.') {
      ++p;
      precision = read_number(p, ap);
      if (precision < 0) precision = -1;
    }
    int size = 0;  // 0 int, 1 long, 2 long long / intmax / size / ptrdiff, -1 short, -2 char
    while (*p == 'h' || *p == 'l' || *p == 'j' || *p == 'z' || *p == 't') {
      if (*p == 'h') size = size == -1 ? -2 : -1;
      else if (*p == 'l') size = size == 1 ? 2 : 1;
      else size = 2;
      ++p;
    }
    const char conv = *p;
    if (conv == '\0') break;

    char digits[32];
    int n = 0;
    const char* text = digits;
    const char* prefix = "";
    if (conv == '%') {
      sink.put('%');
      continue;
    } else if (conv == 'c') {
      digits[n++] = static_cast<char>(va_arg(ap, int));
    } else if (conv == 's') {
      text = va_arg(ap, const char*);
      if (!text) text = "(null)";
      n = static_cast<int>(precision >= 0 ? strnlen(text, std::size_t(precision)) : std::strlen(text));
    } else if (conv == 'd' || conv == 'i' || conv == 'u' || conv == 'o' || conv == 'x' || conv == 'X') {
      const bool is_signed = conv == 'd' || conv == 'i';
      uintmax_t v;
      bool negative = false;
      if (is_signed) {
        intmax_t s = size == 2 ? va_arg(ap, long long) : size == 1 ? va_arg(ap, long) : va_arg(ap, int);
        if (size == -1) s = static_cast<short>(s);
        if (size == -2) s = static_cast<signed char>(s);
        negative = s < 0;
        v = negative ? uintmax_t(0) - uintmax_t(s) : uintmax_t(s);
      } else {
        v = size == 2 ? va_arg(ap, unsigned long long) : size == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        if (size == -1) v = static_cast<unsigned short>(v);
        if (size == -2) v = static_cast<unsigned char>(v);
      }
      const unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
      const char* alphabet = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      char reversed[32];
      int r = 0;
      for (uintmax_t rest = v; rest != 0; rest /= base) reversed[r++] = alphabet[rest % base];
      if (precision < 0 && r == 0) reversed[r++] = '0';  // "%.0d" of 0 prints nothing
      while (r < precision && r < 30) reversed[r++] = '0';
      while (r > 0) digits[n++] = reversed[--r];
      if (negative) prefix = "-";
      else if (is_signed && plus) prefix = "+";
      else if (is_signed && space) prefix = " ";
      else if (alt && base == 16 && v != 0) prefix = conv == 'X' ? "0X" : "0x";
      else if (alt && base == 8 && digits[0] != '0') prefix = "0";
      if (precision >= 0) zero = false;
    } else {
      digits[n++] = '?';  // not supported here; see the header comment
    }
    const int prefix_len = static_cast<int>(std::strlen(prefix));
    const int pad = width > n + prefix_len ? width - n - prefix_len : 0;
    if (!left && !zero) sink.repeat(' ', pad);
    for (const char* q = prefix; *q; ++q) sink.put(*q);
    if (!left && zero) sink.repeat('0', pad);
    for (int i = 0; i < n; ++i) sink.put(text[i]);
    if (left) sink.repeat(' ', pad);
  }
  va_end(ap);
  if (cap > 0) out[sink.len < cap ? sink.len : cap - 1] = '\0';
  return static_cast<int>(sink.len);
}

extern "C" int snprintf(char* out, std::size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  return n;
}
