"""The floor under a server's cost per forwarded packet in rooms of 4 with a subscriber
connection per member: what core 0 spends when a C forwarder (forwarder.c) passes each
member's datagrams on to the other three as they came (GSO for what arrived together,
no SRTP, no state), the members (peers.c) sending what `sfu-load` sends (30 frames of
4 × 1,200 B and 50 audio datagrams a second each), over the benchmark's veth link
(compare.py's `Link`: the forwarder pinned to core 0, the members to core 1 in their own
namespace, each side's receive work steered to its own core). Needs root and a private
network namespace:

    unshare --net sh -c 'ip link set lo up; exec python3 Benchmarks/experiments/forward-floor/run.py [ROOMS ...]'

Prints one JSON line per run: datagrams forwarded a second and ns of core 0's busy time
per forwarded datagram (the same measure as `sfu-load --server-core`), alternating with
windows of nothing on the core (its busy share alone, the machine's baseline). See
docs/decisions.md, "The floor under a forwarded packet in rooms of 4".
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from experiment import ADDRESS, build, compare, core_window  # noqa: E402

WINDOW_SECONDS = 20
ROOMS = (10,)
ROUNDS = 2


def run(folder, link, rooms, forwarding):
    """One window: core 0's busy time, and with `forwarding` the datagrams the members
    received (they print their running count once a second)."""
    members = rooms * 4
    forwarder = peers = None
    counts = []
    if forwarding:
        forwarder = subprocess.Popen(["taskset", "-c", compare.SERVER_CORE, f"{folder}/forwarder", ADDRESS,
                                      compare.GENERATOR_ADDRESS, str(members)])
        time.sleep(0.3)
        peers = subprocess.Popen(link.inside(["taskset", "-c", compare.GENERATOR_CORE, f"{folder}/peers",
                                              compare.GENERATOR_ADDRESS, ADDRESS, str(members)]),
                                 stdout=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: [counts.append((time.monotonic(), int(line))) for line in peers.stdout],
                         daemon=True).start()
    busy, start, end = core_window((peers, forwarder), WINDOW_SECONDS, after=1.5)
    report = {"rooms": rooms, "forwarding": forwarding, "core_percent": round(busy / (end - start) / 1e7, 2)}
    inside = [(at, count) for at, count in counts if start <= at <= end]
    if len(inside) >= 2:
        rate = (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
        report["forwarded_per_second"] = round(rate)
        report["core_ns_per_forwarded"] = round(busy / (end - start) / rate)
    return report


def main():
    folder = build(HERE, "forwarder", "peers")
    link = compare.Link("veth")
    try:
        for rooms in [int(count) for count in sys.argv[1:]] or ROOMS:
            for round_ in range(ROUNDS):
                for forwarding in ((True, False) if round_ % 2 == 0 else (False, True)):
                    print(json.dumps(run(folder, link, rooms, forwarding)), flush=True)
    finally:
        link.close()


if __name__ == "__main__":
    main()
