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
within 30 s of the limit's end. Also which temporal layers the server limited the
subscriber to while the limit held (none at 300 kbit/s; at 180 kbit/s, where the lowest
layer and audio do not fit, fewer frames per second instead of freezes). Exits non-zero
when a check fails.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import STATS, shape_media_ports, swiftsfu_call, unshape  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
LIMIT = sys.argv[3] if len(sys.argv) > 3 else "300kbit"
ROOM = 5154
LIMITED_SECONDS, LIFTED_SECONDS = 20, 30
result = {"limit": LIMIT, "samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def layers(server):
    """The simulcast consumers' layers and estimates, as /admin/rooms shows them."""
    found = {}
    for room in json.loads(server.get("/admin/rooms")):
        for participant in room["participants"]:
            for consumer in participant["consumers"]:
                if consumer.get("currentSpatialLayer") is not None or consumer.get("targetSpatialLayer") is not None:
                    found = {key: consumer.get(key) for key in
                             ("currentSpatialLayer", "targetSpatialLayer", "bandwidthLayer", "layerSwitches",
                              "currentTemporalLayer", "bandwidthTemporalLayer", "isSuspended")}
                    found["estimate"] = (participant.get("subscribeEstimate") or {}).get("bitsPerSecond")
    return found


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
with swiftsfu_call(SERVER, PORT, ROOM, result, fail, create={"bitrate": 3_000_000}, simulcast=True,
                   before_browser=lambda: shape_media_ports(LIMIT)) as (server, driver):
    start = time.monotonic()
    for second in range(1, LIMITED_SECONDS + LIFTED_SECONDS + 1):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == LIMITED_SECONDS + 1:
            unshape()
        found = driver.execute_async_script(STATS, "subscriber") or {}
        result["samples"].append({"t": second, "limited": second <= LIMITED_SECONDS, "width": found.get("width"),
                                  "frames": found.get("frames"), "fps": found.get("fps"),
                                  "freezes": found.get("freezes"), "freezeSeconds": found.get("freezeSeconds"),
                                  "server": layers(server)})

samples = result["samples"]
checks = result["checks"]
limited = [s for s in samples if s["limited"]]
lifted = [s for s in samples if not s["limited"]]
checks["first_second_at_320"] = next((s["t"] for s in limited if s["width"] == 320), None)
checks["widths_limited_10_to_20"] = sorted({s["width"] for s in limited[9:]})
checks["seconds_without_frames"] = [s["t"] for s, before in zip(samples[1:], samples) if s["frames"] <= before["frames"]]
checks["freezes_limited"] = limited[-1]["freezes"]
checks["freeze_seconds_limited"] = round(limited[-1]["freezeSeconds"], 2)
checks["temporal_layers_limited"] = sorted({s["server"].get("bandwidthTemporalLayer") for s in limited}
                                          - {None})
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
