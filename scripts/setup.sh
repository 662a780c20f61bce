#!/usr/bin/env bash
# Installs what SwiftSFU needs to build and test on Debian 12. Idempotent: a second run
# only checks. Runs as root (or with sudo available).
set -euo pipefail
export PATH="/opt/swift/usr/bin:$PATH"

# chromium and chromium-driver, firefox-esr: the real browsers of the demo-page tests
# (Firefox is driven over its own WebDriver BiDi endpoint; Debian has no geckodriver).
# libjs-janus-gateway: janus.js, the client of the Janus-face tests; janus: the reference
# server of the differential test; janus-tools: janus-pp-rec, which converts the .mjr
# recordings; coturn: the TURN server the credentials test relays through.
# golang-go, Pion WebRTC and gorilla/websocket: the Pion client of the interop matrix, built
# offline from Debian's Go sources; ffmpeg makes the VP8 and Opus files its publishers send.
# GStreamer's webrtcbin (plugins-bad, libnice's plugin) with the encoders and decoders of
# plugins-base and -good, driven from Debian's own Python (python3-gi, python3-gst-1.0,
# python3-websocket): the matrix's third independent stack. libavformat (with libavcodec
# and libavutil) muxes recordings; libvpx and libopus decode them in the tests. libgcrypt:
# the AES-GCM of the libsrtp2 that scripts/build-libsrtp.sh builds.
APT_PACKAGES=(pkg-config libnice-dev libssl-dev libsrtp2-dev libgcrypt20-dev openssl iproute2 util-linux chromium chromium-driver
  firefox-esr libjs-janus-gateway janus janus-tools coturn golang-go golang-github-pion-webrtc.v3-dev
  golang-github-gorilla-websocket-dev ffmpeg gstreamer1.0-plugins-bad gstreamer1.0-plugins-good
  gstreamer1.0-plugins-base gstreamer1.0-nice gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0
  gir1.2-gstreamer-1.0 python3-gi python3-gst-1.0 python3-websocket libavformat-dev libavcodec-dev libavutil-dev
  libvpx-dev libopus-dev iptables)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # libnice-dev pulls a long -dev chain; it once stopped half-way on a version skew,
  # which --fix-broken followed by the same install repaired.
  if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get --fix-broken install -y -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# libsrtp2 on OpenSSL, from Debian's source package (see scripts/build-libsrtp.sh).
if ! bash "$(dirname "$0")/build-libsrtp.sh"; then
  echo "setup: WARNING: building libsrtp2 with OpenSSL failed; falling back to Debian's" >&2
  echo "setup: WARNING: NSS-built libsrtp2, which is 2-4x slower per packet." >&2
  # Package.swift links `srtp2ossl` from this folder whatever it holds: Debian's library
  # under that name (its soname is libsrtp2.so.1, so nothing else needs a path).
  fallback="$(cd "$(dirname "$0")/.." && pwd)/.build-deps/libsrtp2/lib"
  mkdir -p "$fallback"
  ln -sf "/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/libsrtp2.so" "$fallback/libsrtp2ossl.so"
fi

# aiortc: an independent WebRTC stack the tests negotiate and (later) exchange media with.
if ! python3 -c 'import aiortc' 2>/dev/null; then
  echo "setup: installing aiortc"
  python3 -m pip install --quiet --root-user-action=ignore aiortc
fi

# selenium drives Chromium through chromium-driver; websocket-client speaks to /ws.
if ! python3 -c 'import selenium, websocket' 2>/dev/null; then
  echo "setup: installing selenium and websocket-client"
  python3 -m pip install --quiet --root-user-action=ignore selenium websocket-client
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: add /opt/swift/usr/bin to PATH" >&2
  fi
  echo "setup: a Swift 6.2+ toolchain is required (swift not on PATH)" >&2
  exit 1
fi
echo "setup: ok"
