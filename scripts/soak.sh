#!/usr/bin/env bash
# `npm run soak`: builds what is missing, then runs bench/soak.mjs (8 Chromium tabs for 10
# minutes behind the fault proxy; docs/faults.md). Exits non-zero when a target is missed.
#   SOAK_SECONDS=120 SOAK_TABS=4 npm run soak      (also SOAK_ACCESS_TTL, SOAK_TIMEOUT, SOAK_SEED)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/build.sh
exec node bench/soak.mjs
