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
within 350-600 kbit/s, in the last 5 s within 2.4-3.6 Mbit/s, and the retransmissions
while limited under 40 a second. Exits non-zero when a check fails.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Server, chromium, wait_until  # noqa: E402
from janusjs_page import JANUS_JS, serve_janusjs_page  # noqa: E402
from janus_call import STATS, janus_request  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
WS_PORT, PAGE_PORT = PORT + 100, PORT + 300
ROOM = 5151
LIMITED, LIFTED = "500kbit", "3mbit"
result = {"samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def tc(*arguments):
    subprocess.run(["tc", *arguments], check=True, capture_output=True)


def shape(rate, change=False):
    """What leaves the server's media ports, at `rate`: an htb root on lo that leaves
    everything else alone (this kernel has no prio qdisc), a class whose token bucket
    carries UDP from ports 40000-40063 with at most 100 ms of queue."""
    bucket = ["parent", "1:20", "handle", "20:", "tbf", "rate", rate, "burst", "4kb", "latency", "100ms"]
    if change:
        tc("qdisc", "change", "dev", "lo", *bucket)
        return
    tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10")
    for band in ("1:10", "1:20"):
        tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
    tc("qdisc", "add", "dev", "lo", *bucket)
    tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
       "match", "ip", "protocol", "17", "0xff", "match", "ip", "sport", "40000", "0xffc0", "flowid", "1:20")


def estimate(server):
    for room in json.loads(server.get("/admin/rooms")):
        for participant in room["participants"]:
            if participant.get("subscribeEstimate"):
                return participant["subscribeEstimate"]
    return None


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
server = Server(SERVER, PORT, "--janus-ws-port", str(WS_PORT), "--port-range", "40000-40063")
driver = None
try:
    url = f"ws://127.0.0.1:{WS_PORT}/"
    created = janus_request(url, {"request": "create", "room": ROOM, "publishers": 6, "videocodec": "vp8"})
    if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
        fail(f"create: {created}")
    shape(LIMITED)
    driver = chromium()
    base = f"http://127.0.0.1:{PAGE_PORT}/index.html?room={ROOM}&server={url}"
    driver.get(f"{base}&role=publisher&display=publisher")
    driver.switch_to.new_window("tab")
    driver.get(f"{base}&role=subscriber&display=subscriber")

    def decoded():
        found = driver.execute_async_script(STATS, "subscriber")
        return (found or {}).get("frames", 0) > 0

    if not wait_until(decoded, 30):
        fail("the subscriber decoded nothing")
    start = time.monotonic()
    for second in range(1, 36):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == 16:
            shape(LIFTED, change=True)
        found = estimate(server) or {}
        metrics = server.metrics()
        result["samples"].append({"t": second, "limit": LIMITED if second <= 15 else LIFTED,
                                  "estimate": found.get("bitsPerSecond"), "delivered": found.get("delivered"),
                                  "loss": found.get("lossFraction"), "usage": found.get("usage"),
                                  "probes": found.get("probesSent"), "lastProbe": found.get("lastProbe"),
                                  "rtt": found.get("roundTripTime"),
                                  "nacks": metrics.get("sfu_nacks_received_total"),
                                  "resent": metrics.get("sfu_retransmitted_packets_total")})
finally:
    if driver:
        driver.quit()
    code, log = server.stop()
    result["server_exit"] = code
    if code != 0:
        result["server_log"] = log[-3000:]
    page.shutdown()

estimates = [s["estimate"] or 0 for s in result["samples"]]
checks = result["checks"]
checks["limited_range"] = [min(estimates[9:15]), max(estimates[9:15])]
checks["lifted_range"] = [min(estimates[-5:]), max(estimates[-5:])]
# What the subscriber's NACKs had the server resend while the link was limited, per second.
checks["resent_per_second"] = round((result["samples"][14]["resent"] or 0) / 15, 1)
print(json.dumps(result))
if not (350_000 <= checks["limited_range"][0] and checks["limited_range"][1] <= 600_000):
    sys.exit(1)
if not (2_400_000 <= checks["lifted_range"][0] and checks["lifted_range"][1] <= 3_600_000):
    sys.exit(1)
if checks["resent_per_second"] >= 40 or result["server_exit"] != 0:
    sys.exit(1)
