#!/usr/bin/env bash
# Builds libsrtp2 from Debian's own source package with --enable-openssl into the
# project-local, git-ignored prefix .build-deps/libsrtp2: Debian's binary package is built
# on NSS, which costs 2-4x more per packet. Installs a static library for SwiftSFU to link
# as libsrtp2ossl.a (so nothing needs a run-time path; Package.swift links it when it
# exists) and keeps the shared library under bench/ for the side-by-side benchmark. The
# headers are the same release's, from libsrtp2-dev. The session's stream list is our
# own (scripts/libsrtp/stream_list.c: SSRCs in an array, not a walk through every
# stream's context), and its AES-GCM is ours, on libgcrypt (below).
# Idempotent. Prints a loud warning and exits non-zero when the
# build is impossible; callers then fall back to Debian's library.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.build-deps/libsrtp2"
stamp="$prefix/.built-with-openssl-stream-array-and-gcrypt-gcm"
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
# AES-GCM on libgcrypt instead of OpenSSL 3's named parameters (docs/decisions.md,
# "AES-GCM on libgcrypt"): our file takes the place of libsrtp's OpenSSL one and defines
# the same cipher types.
cp "$root/scripts/libsrtp/aes_gcm_gcrypt.c" crypto/cipher/aes_gcm_ossl.c
./configure --enable-openssl --prefix="$prefix" --disable-debug-logging CPPFLAGS=-DSRTP_NO_STREAM_LIST LIBS=-lgcrypt >/dev/null
make -j"$(nproc)" libsrtp2.a shared_library srtpobj="srtp/srtp.o srtp/swiftsfu_stream_list.o" >/dev/null
rm -rf "$prefix" && mkdir -p "$prefix/lib" "$prefix/bench"
# NOTE: a name of its own, so that the linker can never pick Debian's libsrtp2.so instead.
cp libsrtp2.a "$prefix/lib/libsrtp2ossl.a"
cp libsrtp2.so* "$prefix/bench/" 2>/dev/null || cp libsrtp2.so.* "$prefix/bench/"
version="$(sed -n 's/^Version: *//p' libsrtp2.pc 2>/dev/null || echo 2.5.0)"
touch "$stamp"
rm -rf "$work"
echo "build-libsrtp: libsrtp2 $version with OpenSSL in $prefix"
