// Embind glue, and nothing else: the core's entry point, authwasm::call(op, argsJson), which
// answers JSON {ok: true, ...} or {ok: false, code, message}, and the JSON-free hot path of
// auth.fetch (src/api.hpp fresh_authorization). No exception crosses into JS (the core never
// throws); js/ turns failures into AuthError. Plain strings and numbers: no handles that would
// need .delete().
#include <emscripten/bind.h>
#include <emscripten/emmalloc.h>

#include "../src/api.hpp"

namespace {
std::string call(const std::string& op, const std::string& args_json) { return authwasm::call(op, args_json); }
// Numbers arrive as doubles (no BigInt): handles and milliseconds are far below 2^53.
std::string fresh_authorization(double handle, double mono_ms) {
  return authwasm::fresh_authorization(static_cast<long long>(handle), static_cast<long long>(mono_ms));
}
// Bytes of the wasm heap in use (emmalloc): what a soak watches to see that memory does not grow.
double heap_in_use() { return static_cast<double>(emmalloc_dynamic_heap_size() - emmalloc_free_dynamic_memory()); }
}  // namespace

EMSCRIPTEN_BINDINGS(authwasm) {
  emscripten::function("call", &call);
  emscripten::function("freshAuthorization", &fresh_authorization);
  emscripten::function("heapInUse", &heap_in_use);
}
