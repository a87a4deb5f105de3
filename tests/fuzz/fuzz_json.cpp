// parse_json / parse_json_object on arbitrary bytes (DESIGN.md §5: random bytes into every
// parser, duplicate members, 5-million-deep nesting). Oracle: nlohmann's own validator plus
// an independent SAX pass that measures nesting and finds duplicate member names, so the
// strict parser must accept exactly the RFC 8259 texts that have no duplicate names
// (RFC 7515 §5.2 / RFC 7519 §4 require refusing them in JWTs) and nest at most kMaxJsonDepth.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "base/json.hpp"

namespace {

using namespace authwasm;

// Counts what the text really contains, without building a DOM.
struct Survey : nlohmann::json_sax<nlohmann::json> {
  std::vector<std::set<std::string>> objects;  // keys seen in each open object (nullopt for arrays)
  std::vector<bool> is_object;
  std::size_t depth = 0, max_depth = 0, members = 0;
  bool duplicate = false;

  bool open(bool object) {
    is_object.push_back(object);
    if (object) objects.emplace_back();
    max_depth = std::max(max_depth, ++depth);
    return true;
  }
  bool close() {
    if (is_object.back()) objects.pop_back();
    is_object.pop_back();
    --depth;
    return true;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    ++members;
    if (!objects.back().insert(k).second) duplicate = true;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

std::size_t member_count(const Json& j) {
  std::size_t n = j.is_object() ? j.size() : 0;
  if (j.is_structured()) for (const auto& child : j) n += member_count(child);
  return n;
}

std::size_t depth_of(const Json& j) {
  if (!j.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, depth_of(child));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = parse_json(text);
  auto object = parse_json_object(text);
  // nlohmann's lexer reads a NUL byte as the end of the input (for C strings), so it accepts
  // "{}\0anything"; parse_json refuses a raw NUL anywhere (RFC 8259 allows none).
  const bool valid = text.find('\0') == std::string_view::npos && nlohmann::json::accept(text);

  Survey survey;
  if (valid) nlohmann::json::sax_parse(text, &survey);
  const bool should_accept = valid && !survey.duplicate && survey.max_depth <= kMaxJsonDepth;

  FUZZ_CHECK(parsed.ok() == should_accept,
             "parse_json accepts exactly valid JSON without duplicate names within the depth cap");
  FUZZ_CHECK(object.ok() == (parsed.ok() && parsed.value().is_object()),
             "parse_json_object = parse_json + object at the top");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::invalid_json, "refusals are invalid_json");
    fuzz::check_error(parsed.error());
    return 0;
  }
  const Json& value = parsed.value();
  FUZZ_CHECK(member_count(value) == survey.members, "no member was lost (duplicates would be)");
  // parse_json's lexer is its own (src/base/json.cpp): it must build what nlohmann's builds,
  // number types included (operator== calls 0, -0 and 0.0 equal; dump() tells them apart).
  const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(value == reference && value.dump() == reference.dump(), "the same DOM as nlohmann's parse");
  FUZZ_CHECK(depth_of(value) == survey.max_depth, "the DOM nests as deep as the text");

  // Serialising what was accepted cannot fail (strings are valid UTF-8), and it re-parses to
  // the same value: dump is a fixed point (non-finite floats dump as null, so compare dumps).
  const std::string once = value.dump();
  auto again = parse_json(once);
  FUZZ_CHECK(again.ok(), "a dump of an accepted value is accepted");
  FUZZ_CHECK(again.value().dump() == once, "dump(parse(dump(v))) == dump(v)");

  // Typed accessors never throw (exceptions are off: a throw would abort).
  if (value.is_object()) {
    for (const auto& [name, member] : value.items()) {
      const auto s = get_string(value, name.c_str());
      const auto d = get_number(value, name.c_str());
      const auto i = get_int(value, name.c_str());
      FUZZ_CHECK(!s || member.is_string() || name.find('\0') != std::string::npos, "get_string only for strings");
      FUZZ_CHECK(!d || member.is_number() || name.find('\0') != std::string::npos, "get_number only for numbers");
      FUZZ_CHECK(!i || d, "get_int implies get_number");
    }
  }
  return 0;
}
