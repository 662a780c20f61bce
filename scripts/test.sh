#!/usr/bin/env bash
# Installs what is missing and runs every test: the unit and integration tests of each
# module, the allocation budgets of the per-packet path, each fuzzer for a bounded time
# (FUZZ_SECONDS, default 20 s each), a soak (SOAK_MINUTES, default 5), then the benchmark
# tooling against Janus (shortest ladder).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
# Each step's heading with the minutes and seconds since the start, for the CI log.
step() { local t=$(( $(date +%s) - started )); printf '== [%d:%02d] %s\n' $((t / 60)) $((t % 60)) "$*"; }
bash scripts/setup.sh
source scripts/env.sh

step "swift format lint (.swift-format)"
swift format lint --strict --recursive Sources Tests Fuzz/Sources Benchmarks/Benchmarks Benchmarks/Sources/LoadGenerator Package.swift

step "swift test"
swift build --build-tests
swift test --skip-build --skip ICELifecycleTests --skip BrowserCallTests --skip JanusClientTests \
  --skip InteropMatrixTests --skip CallChangeTests
# Alone: it measures the process's threads, descriptors and memory.
swift test --skip-build --filter ICELifecycleTests

step "browser suites"
# One suite at a time: three Chromium participants encode and decode video on two cores.
swift test --skip-build --filter BrowserCallTests
# janus.js in Chromium, and the differential runs against Janus.
swift test --skip-build --filter JanusClientTests
# janus.js calls whose connections change (renegotiation, ICE restarts).
swift test --skip-build --filter CallChangeTests
# The release builds the last steps need (the benchmarks, the load generator, the
# fuzzers: about 20 CPU-minutes) go on at the lowest priority while the interop matrix
# runs: it spends most of its time waiting for connections to be made, and counts
# connections, not frame rates. (Beside the browser suites, whose calls encode video on
# both cores, even a niced build cost the demo page's calls their frame rate: CI failed.)
# The fuzzers CI builds and runs: the five byte parsers. The clients' messages are
# property-tested through each face in the unit tests; FuzzSignaling's release build with
# AddressSanitizer (the whole signaling stack) took 6 of the fuzzers' 7.5 minutes of
# build: scripts/fuzz.sh runs it on request.
export FUZZ_TARGETS="${FUZZ_TARGETS:-FuzzRTP FuzzRTCP FuzzCodecs FuzzSDP FuzzSTUN}"
step "release builds in the background (nice 19), log in .build/prebuild.log"
prebuild() {
  (cd Benchmarks && swift build -c release && swift build -c release --product sfu \
    && swift build --product BenchmarkTool) && bash scripts/fuzz.sh --build-only $FUZZ_TARGETS
}
# Its own process group (setsid), ended with the script whatever way it ends.
setsid nice -n 19 bash -c "$(declare -f prebuild); prebuild" >.build/prebuild.log 2>&1 &
prebuild_pid=$!
trap 'kill -- "-$prebuild_pid" 2>/dev/null || true' EXIT
# The interop matrix sets up hundreds of peer connections (docs/interop.md).
swift test --skip-build --filter InteropMatrixTests

step "waiting for the release builds"
if ! wait "$prebuild_pid"; then
  tail -60 .build/prebuild.log
  echo "the release builds failed (.build/prebuild.log)" >&2
  exit 1
fi

# The soak (50 participants churning through rooms of 5 against the release server; it
# fails on growth, not on speed) runs beside the allocation budgets and the fuzzers,
# which count allocations and crashes, not time. The benchmark smoke, which checks that
# every step was clean, waits for it.
step "soak: ${SOAK_MINUTES:-5} minutes of churn against the release build, in the background (scripts/soak.sh)"
# Its own process group too (the server and the generator are its children).
SOAK_NO_BUILD=1 setsid bash scripts/soak.sh --minutes "${SOAK_MINUTES:-5}" >.build/soak.json 2>&1 &
soak_pid=$!
trap 'kill -- "-$prebuild_pid" "-$soak_pid" 2>/dev/null || true' EXIT

step "allocation budgets of the per-packet path (release benchmarks, Benchmarks/Thresholds)"
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

# The AddressSanitizer build (.build-asan: about 4 minutes on two cores) goes on beside
# the fuzzers, which keep one core busy and count crashes, not time. (Not beside the
# allocation budgets: the transport-wide feedback cases allocate as often as the
# machine's speed makes feedback due.)
step "the unit and in-process tests' build with AddressSanitizer, in the background, log in .build/asan-build.log"
setsid swift build --build-tests --sanitize=address --build-path .build-asan >.build/asan-build.log 2>&1 &
asan_pid=$!
trap 'kill -- "-$prebuild_pid" "-$soak_pid" "-$asan_pid" 2>/dev/null || true' EXIT

step "fuzzers"
# shellcheck disable=SC2086
bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}" $FUZZ_TARGETS

step "the unit and in-process tests under AddressSanitizer, beside the soak's last minutes"
# Their own build (above) and the suites of the first step. Leak reports are off: at exit
# LeakSanitizer lists the test harnesses' and Foundation's Process and Pipe reference
# cycles, not the server's; the soak above is the server's leak check. ThreadSanitizer's
# build takes 14 minutes: not in CI (docs/security.md).
if ! wait "$asan_pid"; then
  tail -60 .build/asan-build.log
  echo "the AddressSanitizer build failed (.build/asan-build.log)" >&2
  exit 1
fi
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address --build-path .build-asan \
  --skip ICELifecycleTests --skip BrowserCallTests --skip JanusClientTests --skip InteropMatrixTests \
  --skip CallChangeTests

step "waiting for the soak"
if ! wait "$soak_pid"; then
  tail -c 3000 .build/soak.json
  echo "the soak failed (.build/soak.json)" >&2
  exit 1
fi
python3 -c 'import json, sys; print("soak:", json.dumps(json.load(open(sys.argv[1]))["verdict"]))' .build/soak.json

step "the forwarding benchmark's tooling: sfu-load against Janus 1.1.2 and SwiftSFU, shortest ladder"
# The generator and the server both in release builds, from the Benchmarks package (one
# build of the shared modules); compare.py --check fails unless every step was clean and
# every recording (real VP8 and Opus from the generator) decodes.
smoke_out=$(mktemp -d)
unshare --net sh -c 'ip link set lo up; exec python3 Benchmarks/compare.py --sfu Benchmarks/.build/release/sfu \
  --load Benchmarks/.build/release/sfu-load --out "$1" --smoke --check --real-media --duration 2 --warm-up 1 --servers janus,swiftsfu,swiftsfu-native' sh "$smoke_out"
rm -rf "$smoke_out"

step "all tests passed in $(( $(date +%s) - started )) s"
