#!/usr/bin/env bash
# Fails when OpenSSL's provider machinery is linked into a wasm module: any function named
# EVP_*, ERR_*, RAND_*, OBJ_*, OSSL_*, OPENSSL_init_*, or ossl_{default_provider,provider,
# rand,err,self_test,lib_ctx,method_store}* in the module's name section, other than the
# stand-ins that the allow-list file marks with "// stub: NAME" (bindings/verify_openssl_stubs.cpp).
#
#   scripts/check-wasm-symbols.sh MODULE.wasm ALLOWLIST_FILE [--strip]
#
# The module must be linked with --profiling-funcs (function names kept; the code is the same).
# --strip then removes the name section once the check has passed, so what ships carries no
# names. The authwasm_verify target runs this after every link (CMakeLists.txt), so a build
# (and with it `npm test`) fails the moment EVP or provider code comes back.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MODULE.wasm ALLOWLIST_FILE [--strip]" >&2; exit 2; }
wasm=$1 allowlist=$2 strip=${3:-}

node --input-type=module - "$wasm" "$allowlist" <<'JS'
import { readFileSync } from "node:fs";
const [wasmPath, allowPath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
let at = 8; // after the magic number and version
const leb = () => { let value = 0, shift = 0, byte; do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80); return value; };
const text = (length) => bytes.subarray(at, (at += length)).toString("utf8");
// The "name" custom section's function names (WebAssembly core spec, appendix "Name Section").
const names = [];
while (at < bytes.length) {
  const id = bytes[at++], size = leb(), end = at + size;
  if (id === 0 && text(leb()) === "name") {
    while (at < end) {
      const subsection = bytes[at++], subsectionEnd = leb() + at;
      if (subsection === 1) for (let count = leb(); count > 0; count--) { leb(); names.push(text(leb())); }
      at = subsectionEnd;
    }
  }
  at = end;
}
if (names.length === 0) {
  console.error(`check-wasm-symbols: ${wasmPath} has no function names: link it with --profiling-funcs`);
  process.exit(1);
}
const allowed = new Set([...readFileSync(allowPath, "utf8").matchAll(/\/\/ stub: (\w+)/g)].map((m) => m[1]));
const forbidden = /^(EVP_|ERR_|RAND_|OBJ_|OSSL_|OPENSSL_init_|ossl_(default_provider|provider|rand|err|self_test|lib_ctx|method_store))/;
const found = names.filter((name) => forbidden.test(name) && !allowed.has(name));
if (found.length > 0) {
  console.error(`check-wasm-symbols: ${wasmPath} links OpenSSL provider code (${found.length} functions), e.g.\n  ${found.slice(0, 20).join("\n  ")}`);
  process.exit(1);
}
console.log(`check-wasm-symbols: ${wasmPath}: ${names.length} functions, no EVP/ERR/RAND/OBJ/provider code (stubs allowed: ${allowed.size})`);
JS

if [ "$strip" = "--strip" ]; then
  # llvm-14 (an emscripten dependency) installs llvm-objcopy-14; the plain name needs "llvm".
  objcopy=$(command -v llvm-objcopy-14 || command -v llvm-objcopy) || { echo "check-wasm-symbols: no llvm-objcopy" >&2; exit 1; }
  "$objcopy" --remove-section=name "$wasm"
fi
