#!/usr/bin/env bash
# Installs what is missing, builds SwiftSFU in release mode and starts it with its
# embedded defaults: the demo page on http://127.0.0.1:8080/. Extra arguments go to `sfu`
# (see `sfu --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
swift build -c release --product sfu
exec .build/release/sfu "$@"
