#!/usr/bin/env bash
# Builds the fuzz targets of Fuzz/ with libFuzzer and AddressSanitizer and runs each for
# a bounded time. Usage: scripts/fuzz.sh [seconds-per-target] [target…], or
# scripts/fuzz.sh --build-only [target…] to build them and run none. Only the targets
# named are built (all six by default; FuzzSignaling's build brings the whole signaling
# stack in and takes six times as long as the five byte parsers together).
# New inputs found go to .build-fuzz-corpus/<target>; the seeds in Fuzz/corpus stay as
# they are. A crash leaves its input in Fuzz/artifacts/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzRTP FuzzRTCP FuzzCodecs FuzzSDP FuzzSTUN FuzzSignaling)

flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do (cd Fuzz && swift build "${flags[@]}" --product "$target"); done
[ "$seconds" != "--build-only" ] || exit 0
bin="$(cd Fuzz && swift build "${flags[@]}" --show-bin-path)"
mkdir -p Fuzz/artifacts

# One target for `seconds`; libFuzzer is single-threaded, so as many run at once as
# there are cores.
run_target() {
  local target="$1" corpus=".build-fuzz-corpus/$1" log status=0 options=()
  # FuzzSignaling keeps the server's state from input to input (rooms and sessions stay,
  # as in a server), and Swift's weak-reference side tables are reached only through
  # tagged pointers, which LeakSanitizer cannot follow: its leak check would report them.
  [ "$target" != FuzzSignaling ] || options+=(-detect_leaks=0)
  mkdir -p "$corpus"
  log="$(mktemp)"
  SWIFT_BACKTRACE=enable=no "$bin/$target" "$corpus" "Fuzz/corpus/$target" "${options[@]}" \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="Fuzz/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1 || status=$?
  echo "fuzz: $target for ${seconds}s"
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [ "$status" -ne 0 ]; then
    grep -vE '^(INFO|#[0-9]+ )' "$log" | head -40
    echo "fuzz: $target FAILED (exit $status); the input is in Fuzz/artifacts/"
  fi
  rm -f "$log"
  return "$status"
}

out="$(mktemp -d)"
running=()
failed=0
for target in "${targets[@]}"; do
  run_target "$target" >"$out/$target" 2>&1 &
  running+=("$!")
  if [ "${#running[@]}" -ge "$(nproc)" ]; then
    wait "${running[0]}" || failed=1
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do wait "$pid" || failed=1; done
for target in "${targets[@]}"; do cat "$out/$target"; done
rm -rf "$out"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed" >&2
  exit 1
fi
echo "fuzz: all targets ran without a crash"
