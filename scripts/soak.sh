#!/usr/bin/env bash
# A soak of the release build: `scripts/soak.sh --minutes N` (default 30) churns 50
# participants through rooms of 5 for N minutes and fails if the server grows
# (scripts/soak/soak.py). Runs itself inside a private network namespace with only `lo`.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
port=8700
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) echo "usage: scripts/soak.sh [--minutes N] [--port P]" >&2; exit 2 ;;
  esac
done
source scripts/env.sh
# SOAK_NO_BUILD=1: use the release builds as they are (CI builds them beforehand).
if [ -z "${SOAK_NO_BUILD:-}" ] || [ ! -x Benchmarks/.build/release/sfu ] || [ ! -x Benchmarks/.build/release/sfu-load ]; then
  (cd Benchmarks && swift build -c release --product sfu-load && swift build -c release --product sfu)
fi
exec unshare --net sh -c 'ip link set lo up; exec python3 scripts/soak/soak.py --minutes "$1" --port "$2" \
  --sfu Benchmarks/.build/release/sfu --load Benchmarks/.build/release/sfu-load' sh "$minutes" "$port"
