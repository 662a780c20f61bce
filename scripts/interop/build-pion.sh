#!/usr/bin/env bash
# Builds a Go program of scripts/interop from Debian's Go packages, offline: GOPATH mode
# over /usr/share/gocode, where an import of github.com/pion/webrtc/v3 resolves to
# Debian's copy only from code inside a GOPATH. The program is `pion` (the Pion WebRTC
# client of the interop tests, the default) or `twcc` (transport-wide feedback through
# pion/rtcp and pion/interceptor). Prints the executable's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
program="${1:-pion}"
case "$program" in
  pion) name=pion-peer ;;
  twcc) name=pion-twcc ;;
  *) echo "unknown program $program" >&2; exit 2 ;;
esac
out=.build/pion
mkdir -p "$out/src/$name"
cp "scripts/interop/$program"/*.go "scripts/interop/$program/go.mod" "$out/src/$name/"
(cd "$out/src/$name" && GO111MODULE=off GOPATH="$PWD/../..:/usr/share/gocode" GOCACHE="$PWD/../../cache" \
  GOFLAGS= go build -o "../../$name" .)
echo "$PWD/$out/$name"
