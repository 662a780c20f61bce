"""A call survives the server's keepalives being lost for longer than 10 s while media flows.

On a congested link the server's STUN keepalives queue behind media and are lost with
it; RFC 7675 gives a peer 30 s without a consent response before it stops sending. The
janus.js page publishes Chromium's fake camera through SwiftSFU and a second tab
subscribes, as in rampup.py. From the subscriber's first decoded frame on, every STUN
request and indication that leaves the server's media ports (40000-40063) is dropped for
DROP seconds (`tc`: a u32 filter on the STUN type and magic cookie sends them to a token
bucket too small to pass any), then let through again; media, RTCP and the server's
answers to the browsers' checks pass all along. (Chromium stops sending on a pair whose
checks go unanswered for a few seconds, whatever the server does.) The subscriber's
decoded frames are sampled every second throughout and for 8 s after, with the consent
responses its selected pair has received: the server answers those checks itself, around
libnice, and Chromium counts an answer only when its integrity and fingerprint check out.
(libnice's keepalives are binding indications, sent only after a while with nothing
else sent: the window may hold none, and then none of the server's STUN is lost.)

Usage (as root, inside a network namespace that has only `lo`): consent_loss.py SFU PORT [DROP]
Prints one JSON object with the samples and the checks: the subscriber decoded frames in
every second, counted consent responses all along, and both participants are still in
the room at the end. Exits non-zero when a check fails.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import STATS, shape_media_ports, swiftsfu_call, unshape, wait_until  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
DROP = int(sys.argv[3]) if len(sys.argv) > 3 else 16
ROOM = 5152
STUN_MAGIC_COOKIE = "0x2112a442"
result = {"drop_seconds": DROP, "samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def drop_keepalives_from_media_ports():
    """STUN binding requests and indications leaving the media ports (IPv4 without
    options: the type 28 bytes into the packet, 0x0001 or 0x0011, the cookie 32) go to a
    bucket smaller than any STUN message, so each is dropped; everything else passes."""
    shape_media_ports(None, leaf=("tbf", "rate", "8kbit", "burst", "20", "limit", "20"),
                      match=("match", "u16", "0x0001", "0xffef", "at", "28",
                             "match", "u32", STUN_MAGIC_COOKIE, "0xffffffff", "at", "32"))


def dropped_stun():
    shown = subprocess.run(["tc", "-s", "qdisc", "show", "dev", "lo"], capture_output=True, text=True).stdout
    for block in shown.split("qdisc ")[1:]:
        if block.startswith("tbf 20:"):
            return int(block.split("dropped ")[1].split(",")[0])
    return None


def participants(server):
    return sum(len(room["participants"]) for room in json.loads(server.get("/admin/rooms")))


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
with swiftsfu_call(SERVER, PORT, ROOM, result, fail) as (server, driver):
    def subscriber():
        return driver.execute_async_script(STATS, "subscriber") or {}

    # Consent checks come after ICE: the subscriber's connection, whose pair the server
    # nominates, is through its checks before any is dropped.
    done = "const pc = window.subscriberPC(); return !!pc && ['connected', 'completed'].includes(pc.iceConnectionState);"
    if not wait_until(lambda: driver.execute_script(done), 10):
        fail("the subscriber's connection did not finish ICE")
    time.sleep(3)
    result["checks"]["participants_before"] = participants(server)
    drop_keepalives_from_media_ports()
    start = time.monotonic()
    for second in range(1, DROP + 9):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == DROP + 1:
            unshape()
        stats = subscriber()
        result["samples"].append({"t": second, "frames": stats.get("frames", 0), "responses": stats.get("responses"),
                                  "stunDropped": dropped_stun()})
    result["checks"]["participants_at_end"] = participants(server)

counts = [sample["frames"] for sample in result["samples"]]
checks = result["checks"]
checks["seconds_without_frames"] = [
    sample["t"] for sample, before in zip(result["samples"][1:], counts) if sample["frames"] <= before
]
# The server's keepalives that were dropped: libnice's binding indications go out only
# when nothing else has for a while, so a window with media may hold none (informational).
checks["stun_dropped"] = max((sample["stunDropped"] or 0) for sample in result["samples"])
# Consent responses the subscriber counted over the samples: the server's own answers.
responses = [sample["responses"] for sample in result["samples"] if sample["responses"] is not None]
checks["consent_responses"] = responses[-1] - responses[0] if responses else 0
print(json.dumps(result))
if (checks["seconds_without_frames"] or checks["participants_at_end"] != checks["participants_before"]
        or checks["consent_responses"] < 2):
    sys.exit(1)
if result["server_exit"] != 0:
    sys.exit(1)
