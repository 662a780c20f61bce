"""The floor under a server's cost per idle peer: what core 0 spends when a C server
(server.c) only reads each idle peer's datagrams and answers its consent checks, the
peers (peers.c) sending what SwiftSFU's load generator sends with `--idle` (a report a
second, a check every 5 s), over the benchmark's veth link (compare.py's `Link`: the
server pinned to core 0, the peers to core 1 in their own namespace, each side's
receive work steered to its own core). Needs root and a private network namespace:

    unshare --net sh -c 'ip link set lo up; exec python3 Benchmarks/experiments/idle-floor/run.py [PEERS ...]'

Prints one JSON line per run: µs of core 0's busy time per peer per second (the same
measure as `sfu-load --server-core`): with neither peers nor server (the machine's own
baseline, divided by the same count of peers), with the server reading each datagram
as it comes, and with the server reading on a 50 ms grid. See
docs/decisions.md, "The floor under an idle peer".
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from experiment import ADDRESS, build, compare, core_window  # noqa: E402

WINDOW_SECONDS = 20
PEERS = (800, 200)
ROUNDS = 2
MODES = ("nothing", "wake", "grid")


def run(folder, link, peers, mode):
    server = generator = None
    if mode != "nothing":
        server = subprocess.Popen(["taskset", "-c", compare.SERVER_CORE, f"{folder}/server", ADDRESS, str(peers), mode])
        time.sleep(0.3)
        generator = subprocess.Popen(link.inside(["taskset", "-c", compare.GENERATOR_CORE, f"{folder}/peers",
                                                  compare.GENERATOR_ADDRESS, ADDRESS, str(peers)]))
    busy, _, _ = core_window((generator, server), WINDOW_SECONDS)
    return {"peers": peers, "server": mode,
            "core_microseconds_per_peer_second": round(busy / 1000 / WINDOW_SECONDS / peers, 2)}


def main():
    folder = build(HERE, "server", "peers")
    link = compare.Link("veth")
    try:
        for peers in [int(count) for count in sys.argv[1:]] or PEERS:
            for round_ in range(ROUNDS):
                for mode in (MODES if round_ % 2 == 0 else tuple(reversed(MODES))):
                    print(json.dumps(run(folder, link, peers, mode)), flush=True)
    finally:
        link.close()


if __name__ == "__main__":
    main()
