// Embind glue of the opt-in verifier module (dist/authwasm-verify.{js,wasm}): one entry point,
// authwasm::verifier_call(op, argsJson), JSON strings both ways, no exception crosses into JS.
#include <emscripten/bind.h>

#include "../src/id_token_verifier.hpp"

namespace {
std::string call(const std::string& op, const std::string& args_json) { return authwasm::verifier_call(op, args_json); }
}  // namespace

EMSCRIPTEN_BINDINGS(authwasm_verify) { emscripten::function("call", &call); }
