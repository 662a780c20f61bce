"""The same steps over both links compare.py knows (loopback, and veth with RPS), for
both servers, alternating the link's order from round to round: what the link does to
each server's measured CPU, in one sitting.

Usage (as root, inside `unshare --net`): links.py --sfu PATH --load PATH --out DIR [--rounds N]
Writes links.json to DIR and prints a line per step.
"""

import argparse
import json
import os
import sys

import compare

SHAPES = [{"rooms": 1, "publishers": 1, "subscribers": 100},
          {"rooms": 10, "publishers": 4, "subscribers": 3, "per_member": True},
          {"rooms": 100, "publishers": 4, "subscribers": 3, "per_member": True, "idle": True}]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sfu", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    arguments.warm_up, arguments.duration, arguments.real_media = 3, 10, False
    os.makedirs(arguments.out, exist_ok=True)
    steps, port = [], 9600
    for round_ in range(arguments.rounds):
        for kind in ("loopback", "veth") if round_ % 2 == 0 else ("veth", "loopback"):
            arguments.link = compare.Link(kind)
            try:
                for shape in SHAPES:
                    for server in ("janus", "swiftsfu"):
                        report = compare.run_step(server, arguments, shape, port, arguments.out)
                        port += 2
                        report["shape"] = shape
                        steps.append({"round": round_, "link": kind, "server": server, "report": report})
                        print(round_, kind, server, compare.describe(shape) + ":", compare.summary(report),
                              file=sys.stderr, flush=True)
            finally:
                arguments.link.close()
    with open(os.path.join(arguments.out, "links.json"), "w") as output:
        json.dump(steps, output, indent=1)


if __name__ == "__main__":
    main()
