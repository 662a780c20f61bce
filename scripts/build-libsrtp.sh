#!/usr/bin/env bash
# Builds libsrtp2 from Debian's own source package with --enable-openssl into the
# project-local, git-ignored prefix .build-deps/libsrtp2: Debian's binary package is built
# on NSS, which costs 2-4x more per packet. Installs a static library for SwiftSFU to link
# as libsrtp2ossl.a (so nothing needs a run-time path; Package.swift links it when it
# exists) and keeps the shared library under bench/ for the side-by-side benchmark. The
# headers are the same release's, from libsrtp2-dev. The session's stream list is our
# own (scripts/libsrtp/stream_list.c: SSRCs in an array, not a walk through every
# stream's context), and its AES-GCM makes two OpenSSL calls a packet fewer (below).
# Idempotent. Prints a loud warning and exits non-zero when the
# build is impossible; callers then fall back to Debian's library.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.build-deps/libsrtp2"
stamp="$prefix/.built-with-openssl-stream-array-and-gcm-calls"
[ -f "$stamp" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /etc/apt/sources.list.d/swiftsfu-deb-src.sources ]; then
  $SUDO tee /etc/apt/sources.list.d/swiftsfu-deb-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $SUDO apt-get update -q
fi
dpkg-query -W -f='${Status}' dpkg-dev 2>/dev/null | grep -q "install ok installed" \
  || $SUDO apt-get install -y -q --no-install-recommends dpkg-dev

work="$root/.build-deps/src"
rm -rf "$work" && mkdir -p "$work"
(cd "$work" && apt-get source -q libsrtp2 >/dev/null)
source_dir="$(find "$work" -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)"
[ -n "$source_dir" ] || { echo "build-libsrtp: no libsrtp2 source unpacked" >&2; exit 1; }
cd "$source_dir"
cp "$root/scripts/libsrtp/stream_list.c" srtp/swiftsfu_stream_list.c
# Two EVP_CIPHER_CTX_ctrl calls of every AES-GCM packet do nothing on OpenSSL 3, and each
# is a round of named parameters through the provider (docs/decisions.md, "Two OpenSSL
# calls a packet fewer in AES-GCM"): setting the IV length to 12, GCM's default, before
# every IV (the key's set-up already fixed it), and the zero tag set before the AAD of a
# decryption (the real tag is set before the final check, which is where OpenSSL 3
# needs it). Each edit must match exactly once, or the build stops.
gcm=crypto/cipher/aes_gcm_ossl.c
edit() {  # edit TEXT REPLACEMENT (TEXT holds no character special to sed's pattern)
  [ "$(grep -cF "$1" "$gcm")" = 1 ] || { echo "build-libsrtp: '$1' not found once in $gcm" >&2; exit 1; }
  sed -i "s/$1/$2/" "$gcm"
  ! grep -qF "$1" "$gcm" || { echo "build-libsrtp: '$1' still in $gcm" >&2; exit 1; }
}
edit 'if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, 0))' 'if (0)'
edit 'if (c->dir == srtp_direction_decrypt) {' 'if (0) {'
./configure --enable-openssl --prefix="$prefix" --disable-debug-logging CPPFLAGS=-DSRTP_NO_STREAM_LIST >/dev/null
make -j"$(nproc)" libsrtp2.a shared_library srtpobj="srtp/srtp.o srtp/swiftsfu_stream_list.o" >/dev/null
rm -rf "$prefix" && mkdir -p "$prefix/lib" "$prefix/bench"
# NOTE: a name of its own, so that the linker can never pick Debian's libsrtp2.so instead.
cp libsrtp2.a "$prefix/lib/libsrtp2ossl.a"
cp libsrtp2.so* "$prefix/bench/" 2>/dev/null || cp libsrtp2.so.* "$prefix/bench/"
version="$(sed -n 's/^Version: *//p' libsrtp2.pc 2>/dev/null || echo 2.5.0)"
touch "$stamp"
rm -rf "$work"
echo "build-libsrtp: libsrtp2 $version with OpenSSL in $prefix"
