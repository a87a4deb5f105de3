// The core's whole surface as one call: an operation name and JSON arguments in, JSON out.
// It is what bindings/ exposes to JS (one Embind function) and what native tests drive, so
// both see exactly the same protocol. Every answer is {"ok":true,...} or
// {"ok":false,"code":"<stable code>","message":"..."}; nothing throws.
#pragma once
#include <string>
#include <string_view>

namespace authwasm {

std::string call(std::string_view op, std::string_view args_json);

}  // namespace authwasm
