#!/usr/bin/env bash
# Builds OpenSSL's libcrypto.a for wasm32 with Emscripten, once, into $OUT (cached).
# The source comes from Debian's source package (the upstream tarball), as no wasm build of
# OpenSSL exists in Debian or on npm. See ../shared/TOOLCHAIN.md for the traps avoided here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$root/build/openssl-wasm}
stamp="$OUT/.built-v3"  # bump when the configuration below changes

# libcrypto-lean.a, for the verifier module (dist/authwasm-verify): a copy of libcrypto.a
# without the members through which OpenSSL 3 reaches its provider machinery (~400 KB gzip):
# error queue (err, err_blocks → OPENSSL_init_crypto), the DRBG front end (rand_lib), fetched
# digests (digest, evp_fetch), library init (init), providers (provider_core, self_test_core).
# What BN code still names of them, bindings/verify_openssl_stubs.cpp answers; a link that
# needs more fails (undefined symbol), and scripts/check-wasm-symbols.sh checks the result.
lean_members="err err_blocks rand_lib digest evp_fetch init provider_core self_test_core"
make_lean_copy() {
  local lean="$OUT/lib/libcrypto-lean.a" list="$OUT/lib/libcrypto-lean.members"
  if [ -f "$lean" ] && [ "$lean" -nt "$OUT/lib/libcrypto.a" ] && [ "$(cat "$list" 2>/dev/null)" = "$lean_members" ]; then
    return 0
  fi
  source "$root/scripts/emscripten-env.sh"
  cp "$OUT/lib/libcrypto.a" "$lean.tmp"
  # shellcheck disable=SC2046
  emar d "$lean.tmp" $(printf 'libcrypto-lib-%s.o ' $lean_members)
  emranlib "$lean.tmp"
  mv "$lean.tmp" "$lean"
  echo "$lean_members" > "$list"
  echo "authwasm: made $lean without: $lean_members"
}

if [ -f "$stamp" ] && [ -f "$OUT/lib/libcrypto.a" ]; then
  make_lean_copy
  exit 0
fi

source "$root/scripts/emscripten-env.sh"
work="$root/build/openssl-src"
mkdir -p "$work" "$OUT"

# The tarball of a version whose .dsc arrived too (a failed download can leave a stray one).
find_tarball() {
  local dsc
  dsc=$(ls "$work"/openssl_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dsc" ] || return 0
  local upstream
  upstream=$(basename "$dsc" .dsc | sed -E 's/^openssl_//; s/-[^-]*$//')
  [ -f "$work/openssl_$upstream.orig.tar.gz" ] && echo "$work/openssl_$upstream.orig.tar.gz"
  return 0
}
tarball=$(find_tarball)
if [ -z "$tarball" ]; then
  # Pick, newest first, a version of the source package that the archive actually serves
  # (bookworm-security versions have answered 404 here while bookworm's worked).
  (cd "$work" && for v in $(apt-cache showsrc openssl | awk '/^Version:/ {print $2}' | sort -Vr); do
      if apt-get source --download-only -qq "openssl=$v" >/dev/null 2>&1; then echo "openssl source $v"; break; fi
    done)
  tarball=$(find_tarball)
  [ -n "$tarball" ] || { echo "authwasm: could not download the OpenSSL source package" >&2; exit 1; }
fi

src="$work/src"
rm -rf "$src" && mkdir -p "$src"
tar -xzf "$tarball" -C "$src" --strip-components=1
cd "$src"

# Should anything in wasm reach OpenSSL's DRBG (nothing does today: the verifier module uses BN
# arithmetic only, and the core calls getentropy() itself), its seeding would read
# /dev/urandom, which does not exist with -sFILESYSTEM=0 (TOOLCHAIN.md): seed from
# getentropy() instead, which Emscripten backs with crypto.getRandomValues() or node:crypto.
python3 - providers/implementations/rands/seeding/rand_unix.c <<'PATCH'
import sys
path = sys.argv[1]
text = open(path).read()
anchor = "    (void)entropy_available; /* avoid compiler warning */\n"
assert text.count(anchor) == 1, "rand_unix.c changed: update the authwasm getentropy patch"
text = text.replace(anchor, anchor + """
#if defined(__EMSCRIPTEN__) /* authwasm: seed from getentropy(), 256 bytes a call at most */
    {
        extern int getentropy(void *buffer, size_t length);
        size_t needed = ossl_rand_pool_bytes_needed(pool, 1);
        while (needed != 0) {
            size_t n = needed > 256 ? 256 : needed;
            unsigned char *buffer = ossl_rand_pool_add_begin(pool, n);
            if (buffer == NULL || getentropy(buffer, n) != 0)
                break;
            ossl_rand_pool_add_end(pool, n, 8 * n);
            needed -= n;
        }
        return ossl_rand_pool_entropy_available(pool);
    }
#endif
""")
open(path, "w").write(text)
PATCH

# Only libcrypto's SHA-256 (and, for the opt-in verifier module, RSA/EC verification) is
# used; OPENSSL_SMALL_FOOTPRINT picks its rolled loops (SHA-256 block function: ~3.7 KB of
# wasm unrolled, a fraction of that rolled) and everything below is switched off to keep the build short. Randomness does not come
# from OpenSSL's DRBG in the wasm build (its provider machinery alone is ~400 KB gzip): the
# core calls getentropy(), which Emscripten backs with crypto.getRandomValues().
./Configure linux-generic32 no-asm no-shared no-pic no-threads no-dso no-engine no-sock \
  no-tests no-ui-console no-async no-afalgeng no-autoload-config no-secure-memory no-stdio \
  no-des no-dsa no-dh no-cms no-ts no-ocsp no-srp no-idea no-rc2 no-rc4 no-rc5 no-md4 \
  no-mdc2 no-whirlpool no-camellia no-seed no-cast no-bf no-aria no-sm2 no-sm3 no-sm4 \
  no-siphash no-ct no-comp no-gost no-cmp no-rfc3779 no-ec2m no-dgram no-psk \
  no-srtp no-ssl3 no-tls1 no-tls1_1 no-dtls no-multiblock no-ocb no-scrypt no-padlockeng \
  no-legacy no-fips no-err --prefix="$OUT" \
  CC=emcc AR=emar RANLIB=emranlib CFLAGS="-Oz" CPPFLAGS="-DOPENSSL_SMALL_FOOTPRINT" >/dev/null
make -s -j"$(nproc)" build_generated >/dev/null
make -s -j"$(nproc)" libcrypto.a >/dev/null 2>&1
mkdir -p "$OUT/lib" "$OUT/include"
cp libcrypto.a "$OUT/lib/"
cp -r include/openssl "$OUT/include/"
touch "$stamp"
echo "authwasm: built $OUT/lib/libcrypto.a ($(du -h "$OUT/lib/libcrypto.a" | cut -f1))"
make_lean_copy
