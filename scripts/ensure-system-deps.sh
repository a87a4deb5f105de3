#!/usr/bin/env bash
# Installs the Debian packages authwasm builds and tests with. Idempotent: does nothing when
# everything is already there. Also adds the deb-src entry that build-openssl-wasm.sh needs.
set -euo pipefail

packages=(
  emscripten cmake make g++ pkg-config          # wasm + native builds
  libssl-dev nlohmann-json3-dev libgtest-dev    # core deps (native) + unit tests
  libcpp-httplib-dev libsqlite3-dev libargon2-dev  # reference server
  sqlite3                                       # tests/server: schema-upgrade tests edit a database
  postgresql libpq-dev                          # server: the shared PostgreSQL store and its tests (issue 15)
  chromium                                      # browser tests (driven by playwright-core)
  firefox-esr                                   # browser tests in a second engine (puppeteer-core, WebDriver BiDi)
  brotli gzip                                   # bench/size
  wrk                                           # bench/server
  dpkg-dev                                      # apt-get source
  clang-14 libclang-rt-14-dev                   # scripts/fuzz.sh (libFuzzer, ASan, UBSan)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

src_list=/etc/apt/sources.list.d/authwasm-src.sources
need_update=0
if [ ! -f "$src_list" ]; then
  # A deb-src stanza mirroring the binary one, so `apt-get source openssl` works.
  cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "authwasm: need root to install: ${missing[*]}" >&2; exit 1
  fi
  echo "authwasm: installing Debian packages: ${missing[*]:-(none, refreshing sources)}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
