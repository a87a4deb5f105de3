#include "base/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

using namespace authwasm;

TEST(Json, ParsesObjectsAndChecksTypes) {
  auto r = parse_json_object(R"({"s":"x","n":3,"f":1.5,"b":true,"z":null})");
  ASSERT_TRUE(r);
  EXPECT_EQ(get_string(r.value(), "s"), "x");
  EXPECT_EQ(get_string(r.value(), "n"), std::nullopt);
  EXPECT_EQ(get_int(r.value(), "n"), 3);
  EXPECT_EQ(get_int(r.value(), "f"), 1);
  EXPECT_EQ(get_number(r.value(), "f"), 1.5);
  EXPECT_EQ(get_number(r.value(), "s"), std::nullopt);
  EXPECT_EQ(get_number(r.value(), "missing"), std::nullopt);
  EXPECT_EQ(get_string(Json::array(), "s"), std::nullopt);
}

TEST(Json, RefusesMalformedInput) {
  for (const char* bad : {"", "{", "{\"", "{\"a\":}", "[1,]", "{'a':1}", "NaN", "{\"a\":1}{}"}) {
    auto r = parse_json(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_json);
  }
}

TEST(Json, ObjectRequired) {
  EXPECT_TRUE(parse_json("[]"));
  EXPECT_FALSE(parse_json_object("[]"));
  EXPECT_FALSE(parse_json_object("null"));
}

TEST(Json, RefusesDuplicateMembersAtAnyDepth) {
  EXPECT_FALSE(parse_json(R"({"a":1,"a":1})"));
  EXPECT_FALSE(parse_json(R"([{"b":{"c":1,"c":2}}])"));
  EXPECT_TRUE(parse_json(R"([{"a":1},{"a":1}])"));
}

TEST(Json, BracketsInsideStringsDoNotCountAsNesting) {
  EXPECT_TRUE(parse_json("{\"a\":\"" + std::string(1000, '[') + "\\\"\"}"));
}

// DESIGN.md §5: 5-million-deep nesting must be refused cheaply, not crash the parser.
TEST(Json, RefusesHugeNestingBeforeParsing) {
  const std::string deep(5'000'000, '[');
  auto r = parse_json(deep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_json);
  std::string ok;
  for (int i = 0; i < 32; ++i) ok += "[";
  for (int i = 0; i < 32; ++i) ok += "]";
  EXPECT_TRUE(parse_json(ok));
  EXPECT_FALSE(parse_json("[" + ok + "]"));
}

// dump_json is our own writer (src/base/json.cpp); nlohmann's own dump with the replace handler
// is the reference it must match byte for byte.
namespace {
std::string reference_dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }
}  // namespace

TEST(JsonDump, StringsMatchNlohmannIncludingIllFormedUtf8) {
  for (int c = 0; c < 256; ++c) {
    const Json one(std::string(1, static_cast<char>(c)));
    ASSERT_EQ(dump_json(one), reference_dump(one)) << c;
  }
  // Every 3-byte string over the bytes where UTF-8 validity changes (RFC 3629 §4 ranges,
  // escapes, the ends of each range): truncated, overlong, surrogate and > U+10FFFF sequences.
  const unsigned char edges[] = {0x00, 0x08, 0x0A, 0x1F, 0x20, '"', '\\', 'a', 0x7F, 0x80, 0x8F, 0x90,
                                 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF,
                                 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  for (unsigned char a : edges) {
    for (unsigned char b : edges) {
      for (unsigned char c : edges) {
        const Json s(std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        ASSERT_EQ(dump_json(s), reference_dump(s)) << int(a) << " " << int(b) << " " << int(c);
      }
    }
  }
  std::mt19937 rng(13);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 16, '\0');
    for (auto& ch : text) ch = static_cast<char>(rng() % 4 == 0 ? 0x80 | (rng() % 0x80) : rng() % 256);
    const Json member = Json::object({{text, text}});
    ASSERT_EQ(dump_json(member), reference_dump(member));
  }
  EXPECT_EQ(dump_json(Json("\xF0\x9F\x94\x91 \xE2\x82\xAC")), "\"\xF0\x9F\x94\x91 \xE2\x82\xAC\"");  // kept as UTF-8
  EXPECT_EQ(dump_json(Json("\x01\x7F\"\\/")), "\"\\u0001\x7F\\\"\\\\/\"");
  EXPECT_EQ(dump_json(Json("\xE2\x82")), "\"\xEF\xBF\xBD\"");          // truncated at the end: one U+FFFD
  EXPECT_EQ(dump_json(Json("\xE0\x80" "A")), "\"\xEF\xBF\xBD\xEF\xBF\xBD" "A\"");  // overlong: one per byte
}

TEST(JsonDump, NumbersAndStructureMatchNlohmann) {
  const Json values[] = {
      nullptr, true, false, 0, -1, 42, std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max(),
      std::numeric_limits<unsigned long long>::max(), 0.0, -0.0, 1.0, -2.5, 1.5, 300.0, 0.1, 0.5, 1e15, 1e16,
      123456789012345.0, 1234567890123456.0, 1e-4, 1.5e-4, 1e-5, 0.000123, 1e20, 1.5e-7, 5e-324, 2.2250738585072014e-308,
      1.7976931348623157e308, 1e21, 1e100, 1e-100, std::nan(""), std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(), Json::array(), Json::object(), Json::array({1, "two", nullptr, 3.5}),
      Json::object({{"b", 1}, {"a", Json::array({Json::object(), Json::array()})}, {"", ""}, {"c\n", false}})};
  for (const auto& value : values) EXPECT_EQ(dump_json(value), reference_dump(value));

  // Random doubles: always read back as the same double (RFC 8259 §6 leaves precision to the
  // implementation; both writers round-trip) and no longer than nlohmann's Grisu2 output.
  std::mt19937_64 rng(7);
  int different = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = rng();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    const std::string ours = dump_json(value), theirs = reference_dump(value);
    auto back = parse_json(ours);
    ASSERT_TRUE(back) << ours;
    ASSERT_EQ(back.value().get<double>(), value) << ours;
    ASSERT_LE(ours.size(), theirs.size()) << ours << " vs " << theirs;
    different += ours != theirs;
  }
  EXPECT_LT(different, 200);  // Grisu2 is shortest for ~99.9 % of doubles
}

// nlohmann's operator== calls 0 (unsigned), -0 (integer) and 0.0 (float) equal: the types of
// every value must match as well.
static bool same_types(const Json& a, const Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_types(a[i], b[i])) return false;
    }
  } else if (a.is_object()) {
    for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt) {
      if (it.key() != jt.key() || !same_types(*it, *jt)) return false;
    }
  }
  return true;
}

// parse_json has a lexer of its own (src/base/json.cpp) over nlohmann's DOM: on any input it
// accepts and refuses what nlohmann's own parse does, builds the same DOM with the same number
// types, and refuses beyond that only duplicate names and nesting past the cap.
TEST(JsonParse, AcceptsAndRefusesWhatNlohmannDoes) {
  const std::string seeds[] = {
      R"({"a":[1,-2,3.5e-3,true,false,null],"b":{"c":"d\u00e9\ud83d\udd11\n"},"e":""})", R"([[],{},[{}],"x"])",
      R"({"num":-0,"big":18446744073709551615,"neg":-9223372036854775808,"f":1E+2})", " \t\n 42 ", R"("\"\\\/\b\f\n\r\t")"};
  std::mt19937 rng(29);
  const char alphabet[] = "{}[]\",:\\ntrufalse0123456789.eE+-u \x01\x7f\xc3\xa9\xff";
  int accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[rng() % std::size(seeds)];
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !text.empty(); --edits) {
      const std::size_t at = rng() % text.size();
      const char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(at, 1, c); break;
        default: text.erase(at, 1); break;
      }
    }
    const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    const auto ours = parse_json(text);
    if (reference.is_discarded()) {
      ASSERT_FALSE(ours) << text;
      EXPECT_EQ(ours.error().code, ErrorCode::invalid_json);
    } else if (!ours) {
      EXPECT_EQ(ours.error().message, "duplicate member name in JSON object") << text;
    } else {
      ++accepted;
      ASSERT_EQ(ours.value(), reference) << text;
      ASSERT_TRUE(same_types(ours.value(), reference)) << text;
    }
  }
  EXPECT_GT(accepted, 1000);  // the mutations keep enough documents valid to compare DOMs

  for (const char* text : {"[1,]", "{,}", "{\"a\"1}", "{\"a\":}", "[1 2]", "[", "]", "{\"a\":1,}", "[[[]]", "[]]",
                           "1e400", "-1e400", "1e-400", "[1e308,-0.0]", "{} ", " {}x", "\"a\" \"b\"", "tru", "nul",
                           "[true,false,null]", "{\"\":{\"\":[]}}", "0", "-", "01", "[\"\\ud800\"]", "\"\x1f\"",
                           "\xEF\xBB\xBF{}", "\xEF\xBB{}", " \xEF\xBB\xBF{}", "-0", "-0.0", "0e0", "1E-2", "-9223372036854775808",
                           "-9223372036854775809", "18446744073709551615", "18446744073709551616", "1.", ".5", "+1", "1e",
                           "1e+", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud83d\\udd11\"", "\"\\u00e9\\u0000\\u20AC\"",
                           "\"\\uD7FF\\uE000\\uFFFF\"", "\"\\u12\"", "\"\\x\"", "\"\xc3\xa9\xf0\x9f\x94\x91\"", "\"\xc0\xaf\"",
                           "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x7f\"", "\"abc", "truex", "[nulls]", "\t[\r\n]\n",
                           "\f[]", "[1,2", "{\"a\" : 1 , \"b\":[ ] }", "\"\\/\""}) {
    const Json reference = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    const auto ours = parse_json(text);
    ASSERT_EQ(ours.ok(), !reference.is_discarded()) << text;
    if (ours) EXPECT_EQ(ours.value(), reference) << text;
    if (ours) EXPECT_TRUE(same_types(ours.value(), reference)) << text;
  }
}

// nlohmann's lexer takes a NUL byte for the end of the input, so its parse accepts a value
// followed by a NUL and anything at all; the core's lexer refuses a raw NUL wherever it stands.
TEST(JsonParse, RefusesARawNulByteWhereNlohmannStopsReading) {
  using namespace std::string_literals;
  for (const std::string text : {"{}\0{\"sub\":\"x\"}"s, "12\0"s, "[1]\0]"s, "\0"s, "\"a\0\""s, "{\"a\":\0}"s}) {
    EXPECT_FALSE(parse_json(text)) << text.size();
  }
  EXPECT_FALSE(Json::parse("{}\0{\"sub\":\"x\"}"s, nullptr, false).is_discarded());  // the quirk, still there
}

TEST(Json, FindStringNeverCopiesNorMistypes) {
  auto r = parse_json_object(R"({"s":"x","n":3,"e":"","z":null})");
  ASSERT_TRUE(r);
  const Json& o = r.value();
  ASSERT_NE(find_string(o, "s"), nullptr);
  EXPECT_EQ(find_string(o, "s"), &o["s"].get_ref<const std::string&>());  // the member itself
  EXPECT_EQ(*find_string(o, "e"), "");
  EXPECT_EQ(find_string(o, "n"), nullptr);
  EXPECT_EQ(find_string(o, "z"), nullptr);
  EXPECT_EQ(find_string(o, "missing"), nullptr);
  EXPECT_EQ(find_string(Json::array({"s"}), "s"), nullptr);
  EXPECT_EQ(find_string(Json("s"), "s"), nullptr);
  EXPECT_EQ(string_or_empty(o, "s"), "x");
  EXPECT_EQ(string_or_empty(o, "n"), "");
  EXPECT_EQ(string_or_empty(Json(), "s"), "");
  EXPECT_TRUE(get_true(parse_json_object(R"({"t":true})").value(), "t"));
  for (const char* text : {R"({"t":false})", R"({"t":"true"})", R"({"t":1})", R"({"t":[true]})", "{}"}) {
    EXPECT_FALSE(get_true(parse_json_object(text).value(), "t")) << text;
  }
  EXPECT_FALSE(get_true(Json::array({true}), "t"));
}
