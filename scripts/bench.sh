#!/usr/bin/env bash
# `npm run bench`: builds, then runs every bench/*.mjs in turn and prints their figures.
# Figures are for reading, never asserted. A bench may print "not measured: <reason>" for a
# part it cannot run here; that is reported, not a failure. A bench that crashes is listed at
# the end and makes the exit status non-zero, after the others have run.
#   bash scripts/bench.sh [name...]   e.g. `bash scripts/bench.sh client size`
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/build.sh || { echo "bench: build failed" >&2; exit 1; }

benches=()
if [ $# -gt 0 ]; then
  for name in "$@"; do benches+=("bench/${name%.mjs}.mjs"); done
else
  for f in bench/*.mjs; do
    # Helpers that other benches spawn (no figures of their own) are skipped.
    case "$(basename "$f")" in oidc-provider-server.mjs) continue ;; esac
    # The soak has its own command (npm run soak, 10 minutes); bench/faults.mjs runs here.
    case "$(basename "$f")" in soak.mjs) continue ;; esac
    benches+=("$f")
  done
fi

failed=()
not_measured=0
for bench in "${benches[@]}"; do
  echo
  echo "==================== $bench"
  log=$(mktemp)
  timeout --foreground 1800 node "$bench" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  n=$(grep -c "not measured" "$log" || true)
  not_measured=$((not_measured + n))
  rm -f "$log"
  [ "$status" = 0 ] || failed+=("$bench (exit $status)")
done

echo
[ "$not_measured" = 0 ] || echo "bench: $not_measured figure(s) not measured (reasons above)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
echo "bench: ${#benches[@]} bench(es) ran"
