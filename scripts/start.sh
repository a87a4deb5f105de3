#!/usr/bin/env bash
# `npm start`: builds what is missing (wasm, native server, the demo SPA), then runs the
# reference server on 127.0.0.1 serving the demo from the same origin, with an SQLite data
# directory under data/ and the seeded demo user. Ctrl-C stops it cleanly.
#
# Environment: PORT (default 8080), ACCESS_TTL (access-token lifetime in seconds, default 60,
# short so the countdown and the silent refresh are visible), DATA_DIR (default data/demo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

port=${PORT:-8080}
access_ttl=${ACCESS_TTL:-60}
data_dir=${DATA_DIR:-data/demo}
origin="http://127.0.0.1:$port"
server_bin=build/native/server/authwasm-server

bash scripts/build.sh

# The demo bundle: rebuilt when missing or older than anything it is made of (its sources,
# the wrapper in js/, the wasm, package.json's exports map).
demo_stale() {
  [ ! -f demo-spa/dist/index.html ] && return 0
  [ -n "$(find demo-spa js dist/authwasm.js dist/authwasm.wasm package.json \
            -path demo-spa/dist -prune -o -type f -newer demo-spa/dist/index.html -print -quit)" ]
}
if demo_stale; then
  echo "== building the demo SPA (vite)"
  npx --no-install vite build --config demo-spa/vite.config.js --logLevel warn
fi

mkdir -p "$data_dir"

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
# Ctrl-C reaches this script; the server, started in the background, ignores SIGINT (bash
# does that for asynchronous commands), so it is stopped with SIGTERM, which it handles by
# finishing in-flight requests and checkpointing SQLite.
trap 'echo; echo "stopping…"; stop_server; exit 130' INT
trap 'stop_server; exit 143' TERM
trap 'stop_server' EXIT

banner() {
  cat <<EOF

  authwasm demo is running: $origin/

  Sign in with  demo / demo-password  (or register a new user).
  Access tokens live ${access_ttl}s here (ACCESS_TTL=…); data in $data_dir/.
  Ctrl-C stops the server.

EOF
}

# The server's stdout is two lines: "authwasm-server listening on URL", then "issuer URL".
# The banner follows them (the request log goes to stderr).
"$server_bin" --port "$port" --bind 127.0.0.1 --data-dir "$data_dir" \
  --demo --static-dir demo-spa/dist \
  --client-id authwasm-demo --redirect-uri "$origin/callback" --redirect-uri "$origin/callback-dpop" \
  --access-ttl "$access_ttl" --dpop allowed \
  > >(listening=0
      while IFS= read -r line; do
        echo "$line"
        if [[ $line == "authwasm-server listening on "* ]]; then
          listening=1
        elif [ "$listening" = 1 ]; then
          listening=2
          banner
        fi
      done) &
server_pid=$!
set +e
wait "$server_pid"
status=$?
set -e
server_pid=""
exit "$status"
