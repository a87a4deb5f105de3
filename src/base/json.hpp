// JSON parsing for hostile input: nlohmann/json with exceptions off (the core is built with
// -fno-exceptions, where any nlohmann throw would be std::abort()), a nesting cap checked
// before the parser runs, and duplicate member names refused (RFC 8259 §4 leaves them
// undefined; RFC 7515 §5.2 and RFC 7519 §4 require JWS/JWT parsers to reject them).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace authwasm {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxJsonDepth = 32;

Result<Json> parse_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// Parse and require a JSON object at the top.
Result<Json> parse_json_object(std::string_view text, std::size_t max_depth = kMaxJsonDepth);
// The same for a std::string (its data and size read once, here, not at each call site) and a literal.
Result<Json> parse_json_object(const std::string& text);
inline Result<Json> parse_json_object(const char* text) { return parse_json_object(std::string_view(text)); }

// Serialises without ever aborting: text that is not valid UTF-8 (a percent-decoded byte, a
// hostile server's string) becomes U+FFFD instead of nlohmann's type_error 316, which with
// exceptions off would be std::abort() and kill the wasm module. Use it for every dump.
std::string dump_json(const Json& value);

// A JSON object from name/value pairs, built out of line: nlohmann's initializer-list
// constructor expands at every call site (measured: ~2 KB of wasm over the core).
struct Member {
  const char* name;
  Json value;
};
Json object(std::initializer_list<Member> members);

// A JSON object written straight to text (RFC 8259 §4), for answers that need no DOM: a
// member costs one out-of-line call where building a Json and dumping it expands nlohmann's
// constructors and destructors at every call site. Names are written as given (escaped), in
// order; nothing checks for a name written twice.
class JsonWriter {
 public:
  void string(const char* name, std::string_view value);
  // The same for a std::string or a literal, out of line: a call site passes one pointer, where a
  // string_view argument goes through memory (wasm32's C ABI passes structs indirectly) and a
  // std::string's data and size take libc++'s short-string branches.
  void string(const char* name, const std::string& value);
  void string(const char* name, const char* value);
  void number(const char* name, long long value);
  void boolean(const char* name, bool value);
  void value(const char* name, const Json& value);
  void real(const char* name, double value);              // as nlohmann writes a double
  void raw(const char* name, std::string_view json_text);  // a value already written as JSON text
  void raw(const char* name, const std::string& json_text);
  void raw(const char* name, const char* json_text) { raw(name, std::string_view(json_text)); }
  std::string close() &&;            // the text, with its closing brace

 private:
  void name(const char* name);
  std::string text_ = "{";
};

// An integer's decimal text, as JSON writes it (std::to_string would link libc++'s digit tables).
std::string decimal(long long value);

// Checked member access: never at() (it throws) and never an unchecked get().
std::optional<std::string> get_string(const Json& object, const char* name);
// The same without a copy: the member's string, or nullptr when it is missing or not a string.
const std::string* find_string(const Json& object, const char* name);
// The member's string, or "" when it is missing or not a string.
const std::string& string_or_empty(const Json& object, const char* name);
// Whether the member is a string equal to `expected` (false when it is missing or not a string).
bool string_equals(const Json& object, const char* name, std::string_view expected);
bool string_equals(const Json& object, const char* name, const std::string& expected);
inline bool string_equals(const Json& object, const char* name, const char* expected) {
  return string_equals(object, name, std::string_view(expected));
}
std::optional<double> get_number(const Json& object, const char* name);
// Integral JSON numbers only (NumericDate, RFC 7519 §2, may be non-integral: it is truncated).
std::optional<long long> get_int(const Json& object, const char* name);
// get_int(object, name).value_or(fallback), out of line (no optional at each call site).
long long int_or(const Json& object, const char* name, long long fallback);
// True only for the JSON literal true: a missing or mistyped member is false (never
// nlohmann's value(), whose get<bool> on a string aborts without exceptions).
bool get_true(const Json& object, const char* name);

}  // namespace authwasm
