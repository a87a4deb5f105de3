// Driving the core through authwasm::call in native tests, as js/ does.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "api.hpp"
#include "base/json.hpp"

namespace authwasm::testing {

// An op that must succeed: its answer.
inline Json call_ok(const std::string& op, const Json& args) {
  auto out = parse_json_object(call(op, args.dump()));
  EXPECT_TRUE(out);
  EXPECT_EQ(out.value()["ok"], true) << op << ": " << out.value().dump();
  return out.value();
}

// An op that must fail: its error code.
inline std::string call_code(const std::string& op, const Json& args) {
  auto out = parse_json_object(call(op, args.dump())).value();
  EXPECT_EQ(out["ok"], false) << op;
  return get_string(out, "code").value_or("");
}

}  // namespace authwasm::testing
