"""How a Chromium publisher ramps up through SwiftSFU and through Janus 1.1.2, in one run.

The same janus.js page (janusjs_page.html, Debian's janus.js) publishes Chromium's fake
camera into a VideoRoom room made with the same request on each server, and a second
tab subscribes. From the subscriber's first decoded frame on, both tabs' WebRTC stats
are sampled every second for SECONDS: the publisher's outbound video (bitrate,
resolution, frame rate, qualityLimitationReason) and the subscriber's inbound video.
The servers run one after the other, Janus first, in this network namespace (Janus
gathers on a veth address of its own, 10.99.0.1; see reference_janus.py).

Usage (inside a network namespace that has only `lo`): rampup.py SFU PORT [SECONDS]
Prints one JSON object: per server, the samples and the means over the last 5 s; and
the checks: SwiftSFU's publisher bitrate and resolution within 15 % of Janus's, its
qualityLimitationReason "none", transport-wide feedback counted in /metrics, and the
subscriber link's estimate (from Chromium's own transport-wide feedback, in /admin/rooms
and /metrics) at least what the subscriber receives. Exits non-zero when a check fails.
"""

import json
import os
import sys
import time


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Server  # noqa: E402
from janusjs_page import JANUS_JS, serve_janusjs_page  # noqa: E402
from janus_call import publisher_and_subscriber, stats  # noqa: E402
from reference_janus import Janus  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20
WS_PORT, JANUS_PORT, PAGE_PORT = PORT + 100, PORT + 200, PORT + 300
ROOM = 5150
CREATE = {"request": "create", "room": ROOM, "publishers": 6, "videocodec": "vp8", "audiocodec": "opus"}
result = {"seconds": SECONDS, "servers": {}, "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def measure(name, url, at_end=None):
    """Publishes and subscribes through the server at `url`; returns its samples. With
    `at_end`, calls it after the last sample, while the call is still up."""
    with publisher_and_subscriber(name, url, PAGE_PORT, ROOM, CREATE, fail) as (driver, tabs):
        samples = []
        previous = None
        start = time.monotonic()
        for second in range(1, SECONDS + 1):
            time.sleep(max(0, start + second - time.monotonic()))
            now = time.monotonic()
            sample = {"t": second, "publisher": stats(driver, tabs["publisher"], "publisher"),
                      "subscriber": stats(driver, tabs["subscriber"], "subscriber")}
            if previous and sample["publisher"] and sample["subscriber"]:
                elapsed = now - previous[0]
                for role in ("publisher", "subscriber"):
                    sample[role]["kbps"] = round(8 * (sample[role]["bytes"] - previous[1][role]["bytes"])
                                                 / elapsed / 1000, 1)
            previous = (now, sample) if sample["publisher"] and sample["subscriber"] else previous
            samples.append(sample)
        if at_end:
            at_end()
        return samples


def summary(samples):
    """Means over the last 5 s, and the publisher's last limitation reason."""
    last = [s for s in samples[-5:] if s["publisher"] and s["subscriber"] and "kbps" in s["publisher"]]
    if not last:
        return None

    def mean(role, key):
        return round(sum(s[role][key] for s in last) / len(last), 1)

    return {"publisher_kbps": mean("publisher", "kbps"), "publisher_width": mean("publisher", "width"),
            "publisher_height": mean("publisher", "height"), "publisher_fps": mean("publisher", "fps"),
            "subscriber_kbps": mean("subscriber", "kbps"), "subscriber_width": mean("subscriber", "width"),
            "subscriber_fps": mean("subscriber", "fps"),
            "limitation": last[-1]["publisher"]["limitation"]}


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
try:
    janus = Janus(JANUS_PORT)
    try:
        samples = measure("janus", janus.url)
    finally:
        janus.stop()
    result["servers"]["janus"] = {"samples": samples, "summary": summary(samples)}
    server = Server(SERVER, PORT, "--janus-ws-port", str(WS_PORT))
    try:
        def inspect():
            metrics = server.metrics()
            result["checks"]["feedback_sent"] = metrics.get("sfu_transport_feedback_sent_total", 0)
            # The subscriber's link, as the server estimates it from Chromium's feedback.
            result["checks"]["subscriber_estimates"] = [
                participant["subscribeEstimate"] for room in json.loads(server.get("/admin/rooms"))
                for participant in room["participants"] if participant.get("subscribeEstimate")]
            result["checks"]["estimates_in_metrics"] = metrics.get(
                "sfu_subscriber_bandwidth_estimate_bits_per_second_count", 0)

        samples = measure("swiftsfu", f"ws://127.0.0.1:{WS_PORT}/", at_end=inspect)
    finally:
        code, log = server.stop()
        result["server_exit"] = code
        if code != 0:
            result["server_log"] = log[-3000:]
    result["servers"]["swiftsfu"] = {"samples": samples, "summary": summary(samples)}
finally:
    page.shutdown()

janus_summary = result["servers"]["janus"]["summary"]
ours = result["servers"]["swiftsfu"]["summary"]
if not janus_summary or not ours:
    fail("no complete samples in the last 5 s")
checks = result["checks"]
checks["bitrate_ratio"] = round(ours["publisher_kbps"] / max(1.0, janus_summary["publisher_kbps"]), 3)
checks["width_ratio"] = round(ours["publisher_width"] / max(1.0, janus_summary["publisher_width"]), 3)
checks["limitation"] = ours["limitation"]
# An unconstrained subscriber's estimate is at least what it receives.
received = ours["subscriber_kbps"] * 1000
checks["estimate_over_received"] = round(max((e["bitsPerSecond"] for e in checks["subscriber_estimates"]), default=0)
                                         / max(1.0, received), 3)
print(json.dumps(result))
if checks["bitrate_ratio"] < 0.85 or checks["width_ratio"] < 0.85:
    sys.exit(1)
if checks["limitation"] != "none" or not checks.get("feedback_sent"):
    sys.exit(1)
if checks["estimate_over_received"] < 1 or not checks.get("estimates_in_metrics"):
    sys.exit(1)
