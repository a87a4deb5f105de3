// wasm build only: the shortest decimal form of a double, from the host.
//
// src/base/json.cpp writes floats itself (nlohmann's serializer and its Grisu2 tables cost
// ~4 KB of wasm) and needs the shortest digits that read back as the same double. ECMAScript
// has them: Number.prototype.toExponential() without fractionDigits gives as many digits as
// are needed to identify the Number uniquely (ECMA-262 §21.1.3.2, step 10.b), in the form
// "d.ddde+x". Called only for finite values > 0.
#include <emscripten.h>

#include <cstddef>

// Writes at most `cap` bytes (never a NUL) and returns how many; the text is ASCII.
EM_JS(size_t, authwasm_host_exponential, (double value, char* out, size_t cap), {
  const text = value.toExponential();
  const n = Math.min(text.length, cap);
  for (let i = 0; i < n; i++) HEAPU8[out + i] = text.charCodeAt(i);
  return n;
});
