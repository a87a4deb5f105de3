#include "base/json.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>
#ifdef __EMSCRIPTEN__
// bindings/dtoa_host.cpp: the host's Number.prototype.toExponential() into `out`, its length.
extern "C" std::size_t authwasm_host_exponential(double value, char* out, std::size_t cap);
#else
#include <charconv>
#endif

namespace authwasm {
namespace {

// The length of the well-formed UTF-8 sequence at `p` (RFC 3629 §4, Unicode Table 3-7), or
// minus the number of bytes that begin one before it goes wrong (its "maximal subpart").
int utf8_sequence(const unsigned char* p, std::size_t left) {
  const unsigned lead = p[0];
  if (lead < 0x80) return 1;
  int length;
  unsigned lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, lo = lead == 0xE0 ? 0xA0 : 0x80, hi = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, lo = lead == 0xF0 ? 0x90 : 0x80, hi = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;  // 80..C1, F5..FF never begin a sequence
  for (int i = 1; i < length; ++i, lo = 0x80, hi = 0xBF) {
    if (static_cast<std::size_t>(i) >= left || p[i] < lo || p[i] > hi) return -i;
  }
  return length;
}

// RFC 8259's tokens over one text (§2 structural characters and white space, §3 literals, §6
// numbers, §7 strings), read one at a time by the grammar loop of parse_json below. It accepts
// exactly what nlohmann/json 3.11's lexer accepts, and builds the same values (integers as
// int64 when negative and uint64 otherwise, floats beyond either: nlohmann's token types), so
// the DOM is nlohmann's as before; tests/native/json_test.cpp compares the two on 30000 mutated
// documents. Written here because nlohmann's lexer, with its error texts (one per control
// character) and its printf of "<U+XXXX>", cost ~2.5 KB gzip of wasm for texts nothing reads.
class Lexer {
 public:
  enum class Token { begin_array, end_array, begin_object, end_object, name_separator, value_separator,
                     string, integer, unsigned_integer, floating, literal_true, literal_false, literal_null,
                     end, error };

  Lexer(const char* begin, const char* end)
      : p_(reinterpret_cast<const unsigned char*>(begin)), end_(reinterpret_cast<const unsigned char*>(end)) {
    // RFC 8259 §8.1: a parser MAY ignore a byte order mark (nlohmann skips one at the start).
    if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
  }

  Token next() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;  // §2
    if (p_ == end_) return Token::end;
    switch (*p_) {
      case '[': return ++p_, Token::begin_array;
      case ']': return ++p_, Token::end_array;
      case '{': return ++p_, Token::begin_object;
      case '}': return ++p_, Token::end_object;
      case ':': return ++p_, Token::name_separator;
      case ',': return ++p_, Token::value_separator;
      case '"': return string_token();
      case 't': return literal("true", Token::literal_true);
      case 'f': return literal("false", Token::literal_false);
      case 'n': return literal("null", Token::literal_null);
      default: return number();
    }
  }

  std::string& text() { return text_; }  // the last string token's value
  long long integer = 0;
  unsigned long long unsigned_integer = 0;
  double floating = 0;

 private:
  Token literal(const char* word, Token token) {
    for (; *word; ++word, ++p_) {
      if (p_ == end_ || *p_ != static_cast<unsigned char>(*word)) return Token::error;
    }
    return token;
  }

  bool digit() const { return p_ < end_ && *p_ >= '0' && *p_ <= '9'; }

  // §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?. An integer within int64
  // (negative) or uint64 is one; anything else goes through strtod (the host's parseFloat in
  // wasm, bindings/strtod_host.cpp), as nlohmann's scan_number does.
  Token number() {
    const unsigned char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (!digit()) return Token::error;
    unsigned long long magnitude = 0;
    bool overflow = false;
    if (*p_ == '0') {
      ++p_;
    } else {
      for (; digit(); ++p_) {
        const unsigned d = *p_ - '0';
        overflow |= magnitude > (~0ULL - d) / 10;
        magnitude = magnitude * 10 + d;
      }
    }
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      ++p_, integral = false;
      if (!digit()) return Token::error;
      while (digit()) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_, integral = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digit()) return Token::error;
      while (digit()) ++p_;
    }
    if (integral && !overflow) {
      if (!negative) return unsigned_integer = magnitude, Token::unsigned_integer;
      if (magnitude <= 1ULL << 63) return integer = static_cast<long long>(0 - magnitude), Token::integer;
    }
    const std::string token(reinterpret_cast<const char*>(start), static_cast<std::size_t>(p_ - start));
    floating = std::strtod(token.c_str(), nullptr);
    return Token::floating;
  }

  // Four hex digits after "\\u", or -1.
  long hex4() {
    if (end_ - p_ < 4) return -1;
    long value = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned c = *p_++;
      const int d = c >= '0' && c <= '9' ? static_cast<int>(c - '0') : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? static_cast<int>((c | 0x20) - 'a' + 10) : -1;
      if (d < 0) return -1;
      value = value * 16 + d;
    }
    return value;
  }

  void append_utf8(unsigned long cp) {
    if (cp < 0x80) {
      text_ += static_cast<char>(cp);
      return;
    }
    static const unsigned char lead[] = {0, 0xC0, 0xE0, 0xF0};  // RFC 3629 §3
    const int extra = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
    text_ += static_cast<char>(lead[extra] | (cp >> (6 * extra)));
    for (int i = extra - 1; i >= 0; --i) text_ += static_cast<char>(0x80 | ((cp >> (6 * i)) & 0x3F));
  }

  // §7: unescaped characters from U+0020 on, as well-formed UTF-8 (§8.1); the two-character
  // escapes; \\uXXXX, with a surrogate pair for characters beyond the BMP (a lone surrogate is
  // refused).
  Token string_token() {
    text_.clear();
    ++p_;  // the opening quotation mark
    for (;;) {
      if (p_ == end_) return Token::error;
      const unsigned c = *p_;
      if (c == '"') return ++p_, Token::string;
      if (c < 0x20) return Token::error;
      if (c != '\\') {
        const int length = utf8_sequence(p_, static_cast<std::size_t>(end_ - p_));
        if (length <= 0) return Token::error;
        text_.append(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length));
        p_ += length;
        continue;
      }
      if (++p_ == end_) return Token::error;
      const char* const escapes = "\"\"\\\\//b\bf\fn\nr\rt\t";
      const unsigned e = *p_++;
      const char* found = nullptr;
      for (const char* s = escapes; *s; s += 2) {
        if (static_cast<unsigned char>(*s) == e) found = s;
      }
      if (found) {
        text_ += found[1];
        continue;
      }
      if (e != 'u') return Token::error;
      long cp = hex4();
      if (cp >= 0xDC00 && cp <= 0xDFFF) return Token::error;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return Token::error;
        p_ += 2;
        const long low = hex4();
        if (low < 0xDC00 || low > 0xDFFF) return Token::error;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (cp < 0) return Token::error;
      append_utf8(static_cast<unsigned long>(cp));
    }
  }

  const unsigned char* p_;
  const unsigned char* end_;
  std::string text_;
};

// Builds the DOM as the lexer reads the tokens (the grammar loop in parse_json): a duplicate
// member or nesting past `max_depth` stops the parse at once (so 5 million '[' cost one pass
// up to depth 33, not 5 million allocations). Its stack of open containers is the parser's too.
class StrictDomBuilder {
 public:
  StrictDomBuilder(Json& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

  const char* failure() const { return failure_; }
  bool invalid() { return fail("not valid JSON"); }
  bool done() const { return open_.empty(); }
  bool in_array() const { return open_.back()->is_array(); }

  // Where the next value goes: the root, the end of the open array, or the member named last.
  // One copy of this code for every type of value.
  Json* add(Json&& value) {
    Json* slot = member_;
    if (open_.empty()) {
      slot = &root_;
    } else if (auto* array = open_.back()->get_ptr<Json::array_t*>()) {
      array->emplace_back();
      slot = &array->back();
    }
    *slot = std::move(value);
    return slot;
  }

  bool open(Json::value_t type) {
    if (open_.size() >= max_depth_) return fail("JSON nested too deeply");
    open_.push_back(add(Json(type)));
    return true;
  }

  void close() { open_.pop_back(); }

  // One search of the members both refuses a duplicate name and makes room for the value.
  bool key(Json::string_t& name) {
    auto added = open_.back()->get_ref<Json::object_t&>().emplace(std::move(name), Json());
    if (!added.second) return fail("duplicate member name in JSON object");
    member_ = &added.first->second;
    return true;
  }

 private:
  bool fail(const char* why) {
    if (!failure_) failure_ = why;
    return false;
  }

  Json& root_;
  std::size_t max_depth_;
  std::vector<Json*> open_;
  Json* member_ = nullptr;
  const char* failure_ = nullptr;
};

// RFC 8259 §2-5: one JSON text, a value with nothing but white space after it.
bool parse_text(Lexer& lexer, StrictDomBuilder& dom) {
  using Token = Lexer::Token;
  Token token = lexer.next();
  // A member name and its separator, then the member's value's first token.
  auto member_name = [&] {
    if (token != Token::string || !dom.key(lexer.text()) || lexer.next() != Token::name_separator) return dom.invalid();
    token = lexer.next();
    return true;
  };
  // Each turn reads one value, then closes what it ends and moves past the separator to the
  // next value.
  for (;;) {
    switch (token) {
      case Token::begin_object:
      case Token::begin_array: {
        const bool array = token == Token::begin_array;
        if (!dom.open(array ? Json::value_t::array : Json::value_t::object)) return false;
        token = lexer.next();
        if (token == (array ? Token::end_array : Token::end_object)) {
          dom.close();
          break;
        }
        if (array || member_name()) continue;  // an array's first value is the token just read
        return false;
      }
      case Token::floating:
        if (!std::isfinite(lexer.floating)) return dom.invalid();  // 1e400: out of a double's range
        dom.add(Json(lexer.floating));
        break;
      case Token::integer: dom.add(Json(lexer.integer)); break;
      case Token::unsigned_integer: dom.add(Json(lexer.unsigned_integer)); break;
      case Token::string: dom.add(Json(std::move(lexer.text()))); break;
      case Token::literal_true: dom.add(Json(true)); break;
      case Token::literal_false: dom.add(Json(false)); break;
      case Token::literal_null: dom.add(Json()); break;
      default: return dom.invalid();  // a lexer error, or a token where a value must be
    }
    // After a value: "]" or "}" close the innermost container (and end a value of the one
    // around it), "," leads to the next element or member, anything else is an error.
    for (;;) {
      if (dom.done()) return lexer.next() == Token::end || dom.invalid();
      const bool array = dom.in_array();
      token = lexer.next();
      if (token == (array ? Token::end_array : Token::end_object)) {
        dom.close();
        continue;
      }
      if (token != Token::value_separator) return dom.invalid();
      token = lexer.next();
      if (array || member_name()) break;
      return false;
    }
  }
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::size_t max_depth) {
  Json root;
  StrictDomBuilder builder(root, max_depth);
  Lexer lexer(text.data(), text.data() + text.size());
  if (!parse_text(lexer, builder) || builder.failure()) {
    return make_error(ErrorCode::invalid_json, builder.failure() ? builder.failure() : "not valid JSON");
  }
  return root;
}

Result<Json> parse_json_object(std::string_view text, std::size_t max_depth) {
  auto parsed = parse_json(text, max_depth);
  if (parsed && !parsed.value().is_object()) {
    return make_error(ErrorCode::invalid_json, "expected a JSON object");
  }
  return parsed;
}

Result<Json> parse_json_object(const std::string& text) { return parse_json_object(std::string_view(text)); }

Json object(std::initializer_list<Member> members) {
  Json out = Json(Json::value_t::object);
  for (const auto& member : members) out[member.name] = member.value;
  return out;
}

// ------------------------------------------------------------------ serialising (RFC 8259)
// Our own writer over nlohmann's DOM, in nlohmann's compact format (dump(-1) with
// error_handler_t::replace): its serializer and Grisu2 tables cost ~4 KB of wasm, and the
// output here is read by JSON.parse, by the core itself and by servers. Byte for byte the same
// as nlohmann's for every value; floats may differ in the last digit where Grisu2 is not
// shortest (both round-trip). tests/native/json_test.cpp compares the two.
namespace {

// RFC 8259 §7: quotation mark, reverse solidus and U+0000..U+001F escaped (the short forms
// where there is one, else backslash-u 00XX); other characters as they are. Each maximal subpart of an
// ill-formed sequence becomes one U+FFFD (what nlohmann's replace handler writes).
void append_escaped(std::string& out, std::string_view text) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0, n = text.size(); i < n;) {
#ifndef __EMSCRIPTEN__
    // Native (the server writes JWTs and token answers through here): a run of printable
    // ASCII other than '"' and '\\' is copied at once, not a character at a time. Same output;
    // left out of the wasm build, whose size is budgeted and whose strings are short.
    std::size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
#endif
    const unsigned c = p[i];
    const int length = utf8_sequence(p + i, n - i);
    if (length <= 0) {
      out += "\xEF\xBF\xBD";
      i += length < 0 ? static_cast<std::size_t>(-length) : 1;
      continue;
    }
    const char* shorthand = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n" : c == '\f' ? "\\f" : c == '\r' ? "\\r" : nullptr;
    if (shorthand) {
      out += shorthand;
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out.append(text.data() + i, static_cast<std::size_t>(length));
    }
    i += static_cast<std::size_t>(length);
  }
  out += '"';
}

void append_unsigned(std::string& out, unsigned long long value) {
  char digits[20];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + value % 10);
  while (value /= 10);
  while (n > 0) out += digits[--n];
}

// The shortest decimal that reads back as `value` (> 0, finite), in scientific notation
// "d[.ddd]e[+-]x": from the host in wasm (ECMA-262 §21.1.3.2 Number.prototype.toExponential
// without fractionDigits gives exactly as many digits as uniquely identify the double), from
// std::to_chars natively (C++17 [charconv.to.chars]: the shortest round-trip form).
std::string shortest_scientific(double value) {
  char text[40];
#ifdef __EMSCRIPTEN__
  const std::size_t length = authwasm_host_exponential(value, text, sizeof text);  // bindings/dtoa_host.cpp
#else
  const std::size_t length = static_cast<std::size_t>(std::to_chars(text, text + sizeof text, value, std::chars_format::scientific).ptr - text);
#endif
  return std::string(text, length);
}

// Floats as nlohmann writes them (its to_chars/format_buffer): non-finite as null, "0.0",
// digits with ".0" appended when integral, plain decimal for exponents -4 < n <= 15,
// else d.ddde+XX with at least two exponent digits.
void append_float(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (std::signbit(value)) out += '-';
  if (value == 0) {
    out += "0.0";
    return;
  }
  const std::string scientific = shortest_scientific(std::fabs(value));
  std::string digits;
  std::size_t at = 0;
  for (; at < scientific.size() && scientific[at] != 'e'; ++at) {
    if (scientific[at] != '.') digits += scientific[at];
  }
  int exponent = std::atoi(scientific.c_str() + at + 1);  // "e+5", "e-07": atoi reads the sign
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // where the decimal point goes, counted from the first digit
  if (k <= n && n <= 15) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= 15) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n), std::string::npos);
  } else if (-4 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += exponent < 0 ? "e-" : "e+";
    const unsigned magnitude = static_cast<unsigned>(exponent < 0 ? -exponent : exponent);
    if (magnitude < 10) out += '0';
    append_unsigned(out, magnitude);
  }
}

void append_integer(std::string& out, long long value) {
  if (value < 0) out += '-';
  append_unsigned(out, value < 0 ? 0ULL - static_cast<unsigned long long>(value) : static_cast<unsigned long long>(value));
}

void append_json(std::string& out, const Json& value);

void append_member(std::string& out, std::string_view name, const Json& value) {
  if (out.back() != '{') out += ',';
  append_escaped(out, name);
  out += ':';
  append_json(out, value);
}

void append_json(std::string& out, const Json& value) {
  if (const auto* object = value.get_ptr<const Json::object_t*>()) {
    out += '{';
    for (const auto& [name, member] : *object) append_member(out, name, member);
    out += '}';
  } else if (const auto* array = value.get_ptr<const Json::array_t*>()) {
    out += '[';
    for (const auto& element : *array) {
      if (out.back() != '[') out += ',';
      append_json(out, element);
    }
    out += ']';
  } else if (const auto* text = value.get_ptr<const Json::string_t*>()) {
    append_escaped(out, *text);
  } else if (const auto* boolean = value.get_ptr<const Json::boolean_t*>()) {
    out += *boolean ? "true" : "false";
  } else if (const auto* natural = value.get_ptr<const Json::number_unsigned_t*>()) {
    append_unsigned(out, *natural);  // first: nlohmann's number_integer pointer also answers for unsigned
  } else if (const auto* integer = value.get_ptr<const Json::number_integer_t*>()) {
    append_integer(out, *integer);
  } else if (const auto* real = value.get_ptr<const Json::number_float_t*>()) {
    append_float(out, *real);
  } else {  // null; binary and discarded values are never built (the parser refuses binary)
    out += "null";
  }
}

}  // namespace

std::string decimal(long long value) {
  std::string out;
  append_integer(out, value);
  return out;
}

std::string dump_json(const Json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

void JsonWriter::name(const char* name) {
  if (text_.size() > 1) text_ += ',';
  append_escaped(text_, name);
  text_ += ':';
}

void JsonWriter::string(const char* name, std::string_view value) {
  this->name(name);
  append_escaped(text_, value);
}

void JsonWriter::string(const char* name, const std::string& value) { string(name, std::string_view(value)); }

void JsonWriter::string(const char* name, const char* value) { string(name, std::string_view(value)); }

void JsonWriter::number(const char* name, long long value) {
  this->name(name);
  append_integer(text_, value);
}

void JsonWriter::boolean(const char* name, bool value) {
  this->name(name);
  text_ += value ? "true" : "false";
}

void JsonWriter::value(const char* name, const Json& value) {
  this->name(name);
  append_json(text_, value);
}

void JsonWriter::real(const char* name, double value) {
  this->name(name);
  append_float(text_, value);
}

void JsonWriter::raw(const char* name, std::string_view json_text) {
  this->name(name);
  text_ += json_text;
}

void JsonWriter::raw(const char* name, const std::string& json_text) { raw(name, std::string_view(json_text)); }

std::string JsonWriter::close() && {
  text_ += '}';
  return std::move(text_);
}

const std::string* find_string(const Json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : it->get_ptr<const Json::string_t*>();
}

const std::string& string_or_empty(const Json& object, const char* name) {
  static const std::string empty;
  const std::string* text = find_string(object, name);
  return text ? *text : empty;
}

bool string_equals(const Json& object, const char* name, std::string_view expected) {
  const std::string* text = find_string(object, name);
  return text && *text == expected;
}

bool string_equals(const Json& object, const char* name, const std::string& expected) {
  return string_equals(object, name, std::string_view(expected));
}

std::optional<std::string> get_string(const Json& object, const char* name) {
  const std::string* text = find_string(object, name);
  if (!text) return std::nullopt;
  return *text;
}

std::optional<double> get_number(const Json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

bool get_true(const Json& object, const char* name) {
  if (!object.is_object()) return false;
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get_ref<const Json::boolean_t&>();
}

std::optional<long long> get_int(const Json& object, const char* name) {
  auto v = get_number(object, name);
  if (!v || *v < -9.0e15 || *v > 9.0e15) return std::nullopt;  // exactly representable range
  return static_cast<long long>(*v);
}

long long int_or(const Json& object, const char* name, long long fallback) {
  return get_int(object, name).value_or(fallback);
}

}  // namespace authwasm
