"""A Chromium subscriber behind a shaped link: the server's estimate of it converges to
the limit, and follows it up when it is lifted.

The janus.js page publishes Chromium's fake camera through SwiftSFU and a second tab
subscribes, as in rampup.py. The server's media ports are 40000-40063; on `lo` of this
private network namespace, a token bucket (`tc ... tbf` under `htb`) carries what leaves those ports
(the subscriber's media, and the publisher's RTCP) at 500 kbit/s. From the subscriber's
first decoded frame on, its `subscribeEstimate` in /admin/rooms is sampled every second
for 15 s; then the limit becomes 3 Mbit/s, and it is sampled for 20 s more.

Usage (as root, inside a network namespace that has only `lo`): shaped_subscriber.py SFU PORT
Prints one JSON object with the samples and the checks: the estimate in seconds 10-15
within 350-600 kbit/s, in the last 5 s at least 2.4 Mbit/s with a median of at most
3.6 Mbit/s, and the retransmissions
while limited under 40 a second. Exits non-zero when a check fails.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import change_media_ports_rate, shape_media_ports, swiftsfu_call  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
ROOM = 5151
LIMITED, LIFTED = "500kbit", "3mbit"
result = {"samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def estimate(server):
    for room in json.loads(server.get("/admin/rooms")):
        for participant in room["participants"]:
            if participant.get("subscribeEstimate"):
                return participant["subscribeEstimate"]
    return None


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
with swiftsfu_call(SERVER, PORT, ROOM, result, fail, before_browser=lambda: shape_media_ports(LIMITED)) as (server, _):
    start = time.monotonic()
    for second in range(1, 36):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == 16:
            change_media_ports_rate(LIFTED)
        found = estimate(server) or {}
        metrics = server.metrics()
        result["samples"].append({"t": second, "limit": LIMITED if second <= 15 else LIFTED,
                                  "estimate": found.get("bitsPerSecond"), "delivered": found.get("delivered"),
                                  "loss": found.get("lossFraction"), "usage": found.get("usage"),
                                  "probes": found.get("probesSent"), "lastProbe": found.get("lastProbe"),
                                  "rtt": found.get("roundTripTime"),
                                  "nacks": metrics.get("sfu_nacks_received_total"),
                                  "resent": metrics.get("sfu_retransmitted_packets_total")})

estimates = [s["estimate"] or 0 for s in result["samples"]]
checks = result["checks"]
checks["limited_range"] = [min(estimates[9:15]), max(estimates[9:15])]
checks["lifted_range"] = [min(estimates[-5:]), max(estimates[-5:])]
# A periodic probe's result can overshoot the bucket for a second (its burst passes a
# short cluster faster): the last 5 s are judged by their median.
checks["lifted_median"] = sorted(estimates[-5:])[2]
# What the subscriber's NACKs had the server resend while the link was limited, per second.
checks["resent_per_second"] = round((result["samples"][14]["resent"] or 0) / 15, 1)
print(json.dumps(result))
if not (350_000 <= checks["limited_range"][0] and checks["limited_range"][1] <= 600_000):
    sys.exit(1)
if not (2_400_000 <= checks["lifted_range"][0] and checks["lifted_median"] <= 3_600_000):
    sys.exit(1)
if checks["resent_per_second"] >= 40 or result["server_exit"] != 0:
    sys.exit(1)
