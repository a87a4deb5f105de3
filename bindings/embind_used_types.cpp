// wasm build only: Embind's start-up type registration, for the types this module's bindings
// use and no others.
//
// Emscripten's libembind (system/lib/embind/bind.cpp) registers every builtin type at start-up:
// bool, 11 integer types, 2 BigInts, std::wstring/u16string/u32string, emscripten::val and 19
// memory_views. Each registration imports its JS half from embind.js, so the glue carried
// wstring, UTF-16/UTF-32 and memory_view code nothing here uses (~2 KB gzip). The module links
// embind.js and emval.js as JS libraries instead of `--bind` (CMakeLists.txt), and this file
// takes libembind's place: the same two entry points, fewer registrations. A binding that uses
// another type fails at load with Embind's UnboundTypeError naming it: add its registration here.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace emscripten::internal;

extern "C" {

// embind.js asks for a type's name when it reports an unbound type, and frees it. The module is
// built with -fno-rtti (EMSCRIPTEN_HAS_UNBOUND_TYPE_NAMES=0), where a type's ID is the address
// of a static, not a std::type_info: there is no name to give.
EMSCRIPTEN_KEEPALIVE const char* __getTypeName(const void*) { return strdup("(type without RTTI)"); }

// bindings/authwasm_bindings.cpp: std::string call(std::string, std::string) and
// std::string freshAuthorization(double, double).
EMSCRIPTEN_KEEPALIVE __attribute__((constructor)) void __embind_register_native_and_builtin_types() {
  _embind_register_void(TypeID<void>::get(), "void");
  _embind_register_float(TypeID<double>::get(), "double", sizeof(double));
  _embind_register_std_string(TypeID<std::string>::get(), "std::string");
}

}  // extern "C"
