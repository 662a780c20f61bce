#!/usr/bin/env bash
# Builds scripts/interop/pion (the Pion WebRTC client of the interop tests) from Debian's
# Go packages, offline: GOPATH mode over /usr/share/gocode, where an import of
# github.com/pion/webrtc/v3 resolves to Debian's copy only from code inside a GOPATH.
# Prints the executable's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/pion
mkdir -p "$out/src/pionpeer"
cp scripts/interop/pion/*.go scripts/interop/pion/go.mod "$out/src/pionpeer/"
(cd "$out/src/pionpeer" && GO111MODULE=off GOPATH="$PWD/../..:/usr/share/gocode" GOCACHE="$PWD/../../cache" \
  GOFLAGS= go build -o ../../pion-peer .)
echo "$PWD/$out/pion-peer"
