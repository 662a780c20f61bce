"""Two builds of the forwarding benchmark, run in turns: the comparison for a change to the
per-packet path. Runs of one build minutes apart differ by 5-7 % on these machines; runs
interleaved within a minute do not.

Build each revision in this checkout (worktrees link another libsrtp2, docs/decisions.md),
copying the executable away after each build:

    swift build -c release --product ForwardingBenchmarks   # in Benchmarks/
    cp .build/release/ForwardingBenchmarks /tmp/before        # then the same for /tmp/after

Usage: interleave.py BEFORE AFTER CASE[,CASE...] [ROUNDS]
Prints each case's p50 ns per forwarded packet per round, and the medians.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
before, after, cases = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
environment = dict(os.environ, LD_LIBRARY_PATH=os.path.join(HERE, ".build", "release"))


def p50(executable, case):
    """The case's median ns per forwarded packet, from the runner's histogram dump."""
    output = subprocess.run([executable, "--filter", f"^{case}$"], capture_output=True, text=True, timeout=300,
                            cwd=HERE, env=environment).stdout
    section = output[output.find("ns per forwarded packet"):]
    for line in section.splitlines():
        fields = line.split()
        if len(fields) >= 2 and re.fullmatch(r"0\.50+", fields[1]):
            return float(fields[0])
    sys.exit(f"{executable}: no result for {case}")


results = {(case, build): [] for case in cases for build in ("before", "after")}
for _ in range(rounds):
    for build, executable in (("before", before), ("after", after)):
        for case in cases:
            results[(case, build)].append(p50(executable, case))
for case in cases:
    first, second = sorted(results[(case, "before")]), sorted(results[(case, "after")])
    print(f"{case:34s} before {first} after {second} median {first[len(first) // 2]:.0f} -> "
          f"{second[len(second) // 2]:.0f}")
