"""A simulcast subscriber behind a shaped link gets the layer that fits, without
freezing, and climbs back when the limit is lifted.

The janus.js page publishes Chromium's fake camera at 1280x720 in janus.js's three
simulcast layers through SwiftSFU, and a second tab subscribes. The server's media ports
are 40000-40063; on `lo` of this private network namespace, a token bucket carries what
leaves those ports (the subscriber's media, and the publisher's RTCP) at LIMIT. From the
subscriber's first decoded frame on, its video stats are sampled every second for 20 s;
then the limit is lifted, and they are sampled for 30 s more.

Usage (as root, inside a network namespace that has only `lo`): shaped_simulcast.py SFU PORT [LIMIT]
Prints one JSON object with the samples and the checks: the subscriber decodes the
lowest layer (320 px wide) by its 10th second and to the 20th, its frames never stop for a
second, its freezes (Chromium's freezeCount) last under a second on average; 1280 px
within 30 s of the limit's end. Exits non-zero when a check fails.
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
LIMIT = sys.argv[3] if len(sys.argv) > 3 else "300kbit"
WS_PORT, PAGE_PORT = PORT + 100, PORT + 300
ROOM = 5154
LIMITED_SECONDS, LIFTED_SECONDS = 20, 30
result = {"limit": LIMIT, "samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def tc(*arguments):
    subprocess.run(["tc", *arguments], check=True, capture_output=True)


def shape(rate):
    """What leaves the server's media ports at `rate`, with at most 100 ms of queue; the
    rest of lo is left alone (an htb root, the media ports' class under a tbf)."""
    tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10")
    for band in ("1:10", "1:20"):
        tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
    tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "tbf", "rate", rate, "burst", "4kb",
       "latency", "100ms")
    tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
       "match", "ip", "protocol", "17", "0xff", "match", "ip", "sport", "40000", "0xffc0", "flowid", "1:20")


def layers(server):
    """The simulcast consumers' layers and estimates, as /admin/rooms shows them."""
    found = {}
    for room in json.loads(server.get("/admin/rooms")):
        for participant in room["participants"]:
            for consumer in participant["consumers"]:
                if consumer.get("currentSpatialLayer") is not None or consumer.get("targetSpatialLayer") is not None:
                    found = {key: consumer.get(key) for key in
                             ("currentSpatialLayer", "targetSpatialLayer", "bandwidthLayer", "layerSwitches")}
                    found["estimate"] = (participant.get("subscribeEstimate") or {}).get("bitsPerSecond")
    return found


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
server = Server(SERVER, PORT, "--janus-ws-port", str(WS_PORT), "--port-range", "40000-40063")
driver = None
try:
    url = f"ws://127.0.0.1:{WS_PORT}/"
    created = janus_request(url, {"request": "create", "room": ROOM, "publishers": 6, "videocodec": "vp8",
                                  "bitrate": 3_000_000})
    if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
        fail(f"create: {created}")
    shape(LIMIT)
    driver = chromium()
    base = f"http://127.0.0.1:{PAGE_PORT}/index.html?room={ROOM}&server={url}"
    driver.get(f"{base}&role=publisher&display=publisher&simulcast=1")
    driver.switch_to.new_window("tab")
    driver.get(f"{base}&role=subscriber&display=subscriber")

    def stats():
        return driver.execute_async_script(STATS, "subscriber") or {}

    if not wait_until(lambda: stats().get("frames", 0) > 0, 30):
        fail("the subscriber decoded nothing")
    start = time.monotonic()
    for second in range(1, LIMITED_SECONDS + LIFTED_SECONDS + 1):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == LIMITED_SECONDS + 1:
            tc("qdisc", "del", "dev", "lo", "root")
        found = stats()
        result["samples"].append({"t": second, "limited": second <= LIMITED_SECONDS, "width": found.get("width"),
                                  "frames": found.get("frames"), "fps": found.get("fps"),
                                  "freezes": found.get("freezes"), "freezeSeconds": found.get("freezeSeconds"),
                                  "server": layers(server)})
finally:
    if driver:
        driver.quit()
    code, log = server.stop()
    result["server_exit"] = code
    if code != 0:
        result["server_log"] = log[-3000:]
    page.shutdown()

samples = result["samples"]
checks = result["checks"]
limited = [s for s in samples if s["limited"]]
lifted = [s for s in samples if not s["limited"]]
checks["first_second_at_320"] = next((s["t"] for s in limited if s["width"] == 320), None)
checks["widths_limited_10_to_20"] = sorted({s["width"] for s in limited[9:]})
checks["seconds_without_frames"] = [s["t"] for s, before in zip(samples[1:], samples) if s["frames"] <= before["frames"]]
checks["freezes_limited"] = limited[-1]["freezes"]
checks["freeze_seconds_limited"] = round(limited[-1]["freezeSeconds"], 2)
checks["seconds_to_1280_after_lift"] = next((s["t"] - LIMITED_SECONDS for s in lifted if s["width"] == 1280), None)
print(json.dumps(result))
if checks["first_second_at_320"] is None or checks["first_second_at_320"] > 10:
    sys.exit(1)
if checks["widths_limited_10_to_20"] != [320] or checks["seconds_without_frames"]:
    sys.exit(1)
if checks["freezes_limited"] and checks["freeze_seconds_limited"] / checks["freezes_limited"] >= 1:
    sys.exit(1)
if checks["seconds_to_1280_after_lift"] is None or result["server_exit"] != 0:
    sys.exit(1)
