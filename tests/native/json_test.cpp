#include "base/json.hpp"

#include <gtest/gtest.h>

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
