#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (not part of `npm test`; the corpus replay is).
#   bash scripts/fuzz.sh [seconds per target, default 30] [target...]
# Builds build/fuzz with clang++-14 (-DAUTHWASM_FUZZ=ON, ASan+UBSan), then runs each target
# in turn, one at a time (-jobs=1; the machines are small and shared). New inputs go to
# build/fuzz/corpus/<target>/ (the seeds in tests/fuzz/corpus/<target>/ are read, never
# written); a crash leaves build/fuzz/artifacts/<target>-crash-* and fails the script. To keep
# a crash as a regression test, copy it into tests/fuzz/corpus/<target>/regression-<what>.bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${1:-30}
shift || true
all=(fuzz_json fuzz_jwt fuzz_base64url fuzz_callback fuzz_token_response fuzz_www_authenticate fuzz_api)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

bash scripts/ensure-system-deps.sh
command -v clang++-14 >/dev/null || { echo "fuzz: clang++-14 is missing" >&2; exit 1; }

if [ ! -f build/fuzz/CMakeCache.txt ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAUTHWASM_FUZZ=ON -DAUTHWASM_BUILD_TESTS=OFF >/dev/null
fi
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]}"

failed=()
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t" build/fuzz/artifacts
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "== $t: ${seconds}s"
  if ! "build/fuzz/tests/fuzz/$t" "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/artifacts/$t-" 2>"build/fuzz/$t.log"; then
    failed+=("$t")
    tail -n 40 "build/fuzz/$t.log" >&2
  fi
  grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb" "build/fuzz/$t.log" || true
  echo "   corpus: $(ls "build/fuzz/corpus/$t" | wc -l) new inputs in build/fuzz/corpus/$t"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no crash in ${targets[*]}"
