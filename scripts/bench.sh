#!/usr/bin/env bash
# The forwarding benchmark: SwiftSFU against Janus 1.1.2 from Debian, in one run
# (Benchmarks/README.md). Installs what is missing, builds the server and the load
# generator in release mode, and runs Benchmarks/compare.py inside a private network
# namespace. Runs as root. Extra arguments go to compare.py: --quick for a short ladder,
# --duration S, --warm-up S, --servers janus,swiftsfu. Results go to
# Benchmarks/results/<date>-<host>/ (or $BENCH_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
swift build -c release --product sfu
swift build -c release --package-path Benchmarks --product sfu-load
out="${BENCH_OUT:-Benchmarks/results/$(date -u +%Y-%m-%d)-$(hostname -s)}"
exec unshare --net sh -c 'ip link set lo up; out="$1"; shift; exec python3 Benchmarks/compare.py --sfu .build/release/sfu --load Benchmarks/.build/release/sfu-load --out "$out" "$@"' sh "$out" "$@"
