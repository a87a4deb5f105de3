// Embind glue, and nothing else: the core's one entry point, authwasm::call(op, argsJson),
// which answers JSON {ok: true, ...} or {ok: false, code, message}. No exception crosses into
// JS (the core never throws); js/ turns failures into AuthError. Plain strings both ways:
// no handles that would need .delete().
#include <emscripten/bind.h>

#include "../src/api.hpp"

namespace {
std::string call(const std::string& op, const std::string& args_json) { return authwasm::call(op, args_json); }
}  // namespace

EMSCRIPTEN_BINDINGS(authwasm) { emscripten::function("call", &call); }
