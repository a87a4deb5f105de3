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

// Checked member access: never at() (it throws) and never an unchecked get().
std::optional<std::string> get_string(const Json& object, const char* name);
std::optional<double> get_number(const Json& object, const char* name);
// Integral JSON numbers only (NumericDate, RFC 7519 §2, may be non-integral: it is truncated).
std::optional<long long> get_int(const Json& object, const char* name);

}  // namespace authwasm
