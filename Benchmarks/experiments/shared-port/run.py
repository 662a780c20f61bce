"""The send side of a shared UDP port against a socket per subscriber, over the
benchmark's veth link (compare.py's `Link`): the sender pinned to the server's core, the
drain to the generator's, as in the benchmark. Needs root and a private network
namespace:

    unshare --net sh -c 'ip link set lo up; exec python3 Benchmarks/experiments/shared-port/run.py'

Builds send.c and drain.c with cc, then prints each run's JSON line: CPU time per
datagram sent, with each way of sending in alternating order, two rounds per shape.
See docs/decisions.md, "No shared port".
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from experiment import ADDRESS, build, compare  # noqa: E402

# (subscribers, datagrams per burst, bytes each): a 1 -> 100 room's video and audio,
# and a member of a room of 4's.
SHAPES = [(100, 4, 1200), (100, 1, 120), (3, 4, 1200), (3, 1, 120)]


def main():
    folder = build(HERE, "send", "drain")
    link = compare.Link("veth")
    try:
        for subscribers, segments, size in SHAPES:
            drain = subprocess.Popen(link.inside(["taskset", "-c", compare.GENERATOR_CORE, f"{folder}/drain",
                                                  compare.GENERATOR_ADDRESS, str(subscribers)]))
            time.sleep(0.5)
            for round_ in range(2):
                for shared in ((0, 1) if round_ == 0 else (1, 0)):
                    run = subprocess.run(["taskset", "-c", compare.SERVER_CORE, f"{folder}/send", compare.GENERATOR_ADDRESS,
                                          str(subscribers), str(segments), str(size), str(shared), "4", ADDRESS],
                                         capture_output=True, text=True, check=True)
                    print(json.dumps(json.loads(run.stdout)), flush=True)
            drain.kill()
            drain.wait()
    finally:
        link.close()


if __name__ == "__main__":
    main()
