#!/usr/bin/env bash
# Installs what is missing and runs every test: the unit and integration tests of each
# module, then each fuzzer for a bounded time (FUZZ_SECONDS, default 30 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
started=$(date +%s)
bash scripts/setup.sh

echo "== swift test"
swift build --build-tests
swift test --skip-build

echo "== fuzzers"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

echo "== all tests passed in $(( $(date +%s) - started )) s"
