#!/usr/bin/env bash
# Captures the SDP offer of Janus (Debian's `janus` package) to a Streaming-plugin viewer.
# Runs Janus inside a private network namespace; prints the offer on stdout. Janus skips
# loopback when it gathers candidates, so the namespace also gets a veth pair whose both
# ends stay inside it, with an address that exists only there.
# Usage (as root): scripts/capture/janus_offer.sh > Tests/Fixtures/janus-1.1.2-offer-streaming.sdp
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec unshare --net sh -c '
  ip link set lo up
  ip link add sfu0 type veth peer name sfu1 && ip addr add 10.99.0.1/24 dev sfu0 && ip link set sfu0 up && ip link set sfu1 up
  janus -F /etc/janus -o -L /tmp/janus-capture.log >/dev/null 2>&1 &
  janus=$!
  python3 "$0"
  status=$?
  kill $janus
  exit $status
' "$here/janus_offer.py"
