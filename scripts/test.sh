#!/usr/bin/env bash
# Installs what is missing and runs every test: the unit and integration tests of each
# module, the allocation budgets of the per-packet path, the benchmark tooling against
# Janus (shortest ladder), then each fuzzer for a bounded
# time (FUZZ_SECONDS, default 30 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
source scripts/env.sh

echo "== swift format lint (.swift-format)"
swift format lint --strict --recursive Sources Tests Fuzz/Sources Benchmarks/Benchmarks Benchmarks/Sources/LoadGenerator Package.swift

echo "== swift test"
swift build --build-tests
swift test --skip-build --skip ICELifecycleTests --skip BrowserCallTests --skip JanusClientTests \
  --skip InteropMatrixTests --skip CallChangeTests
# Alone: it measures the process's threads, descriptors and memory.
swift test --skip-build --filter ICELifecycleTests
# Alone: three Chromium participants encode and decode video on two cores.
swift test --skip-build --filter BrowserCallTests
# Alone, for the same reason: janus.js in Chromium, and the differential run against Janus.
swift test --skip-build --filter JanusClientTests
# Alone: janus.js calls whose connections change (renegotiation, ICE restarts).
swift test --skip-build --filter CallChangeTests
# Alone: the interop matrix sets up hundreds of peer connections (docs/interop.md).
swift test --skip-build --filter InteropMatrixTests

echo "== allocation budgets of the per-packet path (release benchmarks, Benchmarks/Thresholds)"
status=0
(cd Benchmarks && swift package benchmark thresholds check --metric mallocCountTotal \
  --path Thresholds/6.3 \
  --filter 'RTP(Parse|Rewrite|EgressCopy|HeaderExtension).*|Forward1To(10|100NoSocket)$|Forward1To(100|6)Burst4(Browsers|TransportCC|Simulcast|Temporal)$') \
  || status=$?
# 0: equal to the budget (within each benchmark's tolerance: 20 allocations per 10,000
# forwarded packets, 200 in the cases with transport-wide feedback, whose feedback packets
# allocate as often as the machine's speed makes them due); 4: better than the budget.
# Anything else is a regression: one allocation per packet would be 10,000.
if [ "$status" -ne 0 ] && [ "$status" -ne 4 ]; then
  echo "allocation budget exceeded (exit $status)" >&2
  exit 1
fi

echo "== the forwarding benchmark's tooling: sfu-load against Janus 1.1.2 and SwiftSFU, shortest ladder"
# The generator and the server both in release builds, from the Benchmarks package (one
# build of the shared modules); compare.py --check fails unless every step was clean and
# every recording (real VP8 and Opus from the generator) decodes.
(cd Benchmarks && swift build -c release --product sfu-load && swift build -c release --product sfu)
smoke_out=$(mktemp -d)
unshare --net sh -c 'ip link set lo up; exec python3 Benchmarks/compare.py --sfu Benchmarks/.build/release/sfu \
  --load Benchmarks/.build/release/sfu-load --out "$1" --smoke --check --real-media --duration 2 --warm-up 1 --servers janus,swiftsfu,swiftsfu-native' sh "$smoke_out"
rm -rf "$smoke_out"

echo "== fuzzers"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

echo "== all tests passed in $(( $(date +%s) - started )) s"
