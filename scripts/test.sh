#!/usr/bin/env bash
# `npm test`: builds what is missing, then runs every suite: native (plain and under
# ASan+UBSan), Node, the packed package (Node + Vite + Chromium), browser, server, types.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/build.sh

echo "== native unit tests (GoogleTest)"
ctest --test-dir build/native --output-on-failure -j"$(nproc)"

echo "== native unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
if [ ! -f build/native-asan/CMakeCache.txt ]; then
  cmake -S . -B build/native-asan -DCMAKE_BUILD_TYPE=Debug -DAUTHWASM_SANITIZE=ON >/dev/null
fi
cmake --build build/native-asan -j"$(nproc)" --target core_tests
build/native-asan/core_tests --gtest_brief=1

echo "== types (tsc on the hand-written .d.ts)"
npx tsc -p tests/types

echo "== JavaScript suites (node --test)"
suites=()
for dir in tests/node tests/client tests/package tests/browser tests/server tests/e2e; do
  [ -d "$dir" ] && suites+=("$dir")
done
node --test --test-concurrency=1 "${suites[@]}"
