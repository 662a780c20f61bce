"""AES-128-GCM per SRTP packet on OpenSSL 3 against libgcrypt, as libsrtp2 drives its
cipher (gcm.c): ns per packet protected and unprotected at 100, 700 and 1,200 bytes in
alternating rounds, pinned to core 0, and the heap of each keyed context. Needs
libssl-dev and libgcrypt20-dev (scripts/setup.sh installs both):

    python3 Benchmarks/experiments/aes-gcm/run.py

Prints gcm.c's JSON lines, then each measure's median over the rounds. See
docs/decisions.md, "AES-GCM on libgcrypt".
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from experiment import build, compare  # noqa: E402


def main():
    folder = build(HERE, "gcm", libraries=("crypto", "gcrypt"))
    output = subprocess.run(["taskset", "-c", compare.SERVER_CORE, f"{folder}/gcm"], capture_output=True,
                            text=True, timeout=600, check=True).stdout
    lines = [json.loads(line) for line in output.splitlines()]
    for line in lines:
        print(json.dumps(line))
    rounds = [line for line in lines if "round" in line]
    for size in sorted({line["bytes"] for line in rounds}):
        medians = {key: statistics.median(line[key] for line in rounds if line["bytes"] == size)
                   for key in rounds[0] if key.endswith("_ns")}
        print(json.dumps({"bytes": size, "median": medians}))


if __name__ == "__main__":
    main()
