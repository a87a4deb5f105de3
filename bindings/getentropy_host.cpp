// wasm build only: getentropy() as one crypto.getRandomValues() call.
//
// Emscripten 3.1.6's getentropy fills the buffer one byte per getRandomValues() call
// (library.js getRandomDevice), ~300 µs for a PKCE verifier. This asks the same CSPRNG
// (Web Crypto in browsers, node:crypto's webcrypto in Node) for the whole buffer at once.
// getentropy(3) allows at most 256 bytes per call.
#include <emscripten.h>

#include <cerrno>
#include <cstddef>

EM_JS(int, authwasm_host_random, (void* buffer, size_t size), {
  try {
    crypto.getRandomValues(HEAPU8.subarray(buffer, buffer + size));
    return 0;
  } catch (e) {
    return -1;
  }
});

extern "C" int getentropy(void* buffer, size_t size) {
  if (size > 256) {
    errno = EIO;
    return -1;
  }
  if (authwasm_host_random(buffer, size) != 0) {
    errno = ENOSYS;
    return -1;
  }
  return 0;
}
