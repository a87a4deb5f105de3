#!/usr/bin/env bash
# Builds dist/authwasm.{js,wasm} (OpenSSL for wasm first, once). Incremental via CMake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build-openssl-wasm.sh"
source "$root/scripts/emscripten-env.sh"
if [ ! -f "$root/build/wasm/CMakeCache.txt" ]; then
  emcmake cmake -S "$root" -B "$root/build/wasm" -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
fi
cmake --build "$root/build/wasm" -j"$(nproc)"
