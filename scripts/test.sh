#!/usr/bin/env bash
# `npm test`: builds what is missing, then runs every suite: native (plain and under
# ASan+UBSan), Node, the packed package (Node; tests/consumers: one app per toolchain, each
# loaded in Chromium, plus publint, attw and consumer tsc), browser, server, types.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/build.sh

echo "== native unit tests (GoogleTest)"
ctest --test-dir build/native --output-on-failure -j"$(nproc)"

echo "== native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
if [ ! -f build/native-asan/CMakeCache.txt ]; then
  cmake -S . -B build/native-asan -DCMAKE_BUILD_TYPE=Debug -DAUTHWASM_SANITIZE=ON >/dev/null
fi
cmake --build build/native-asan -j"$(nproc)"
ctest --test-dir build/native-asan --output-on-failure -j"$(nproc)"
echo "== the server's HTTP suite against the sanitized server"
AUTHWASM_SERVER_BIN=build/native-asan/server/authwasm-server node --test --test-concurrency=1 --test-force-exit tests/server

echo "== bundle size (default bundle at most 1 KB gzip over bench/size-baseline.json)"
node bench/size.mjs --check

echo "== types (tsc on the hand-written .d.ts)"
npx tsc -p tests/types

echo "== JavaScript suites (node --test)"
suites=()
for dir in tests/node tests/client tests/faults tests/package tests/consumers tests/react tests/browser tests/server tests/e2e tests/oidc tests/tabs; do
  [ -d "$dir" ] && suites+=("$dir")
done
# --test-force-exit: a test file whose failure left a handle open (a server, a proxy) ends
# when its tests have, instead of holding CI until its time limit.
node --test --test-concurrency=1 --test-force-exit "${suites[@]}"
