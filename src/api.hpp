// The core's whole surface as one call: an operation name and JSON arguments in, JSON out.
// It is what bindings/ exposes to JS (one Embind function) and what native tests drive, so
// both see exactly the same protocol. Every answer is {"ok":true,...} or
// {"ok":false,"code":"<stable code>","message":"..."}; nothing throws.
#pragma once
#include <string>
#include <string_view>

namespace authwasm {

std::string call(std::string_view op, std::string_view args_json);

// The hot path of every auth.fetch, without JSON: "<generation> <Authorization header>" when
// the session's access token is fresh at `mono_ms` (Session::freshness), "" otherwise (then
// js/ asks `call("authorization")`, which explains). Same policy as that op.
std::string fresh_authorization(long long handle, long long mono_ms);

}  // namespace authwasm
