#!/usr/bin/env bash
# Builds everything `npm test` and `npm start` need; each step is cached and idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# One build at a time in this tree (npm start and npm test may run together): OpenSSL's source
# directory and node_modules are replaced wholesale by the steps below.
mkdir -p build
exec 9>build/.build.lock
flock 9

bash scripts/ensure-system-deps.sh

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/build-wasm.sh

if [ ! -f build/native/CMakeCache.txt ]; then
  cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build/native -j"$(nproc)"
