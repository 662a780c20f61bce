"""A call survives its consent checks being lost for longer than 10 s while media flows.

On a congested link the server's STUN consent checks queue behind media and are lost
with it; RFC 7675 gives a peer 30 s without a consent response before it stops sending.
The janus.js page publishes Chromium's fake camera through SwiftSFU and a second tab
subscribes, as in rampup.py. From the subscriber's first decoded frame on, every STUN
message that leaves the server's media ports (40000-40063) is dropped for DROP seconds
(`tc`: a u32 filter on the STUN magic cookie sends them to a token bucket too small to
pass any), then let through again; media and RTCP pass all along. The subscriber's
decoded frames are sampled every second throughout and for 5 s after.

Usage (as root, inside a network namespace that has only `lo`): consent_loss.py SFU PORT [DROP]
Prints one JSON object with the samples and the checks: the subscriber decoded frames in
every second, and both participants are still in the room at the end. Exits non-zero
when a check fails.
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
DROP = int(sys.argv[3]) if len(sys.argv) > 3 else 16
WS_PORT, PAGE_PORT = PORT + 100, PORT + 300
ROOM = 5152
BINDING_REQUEST, STUN_MAGIC_COOKIE = "0x0001", "0x2112a442"
result = {"drop_seconds": DROP, "samples": [], "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def tc(*arguments):
    subprocess.run(["tc", *arguments], check=True, capture_output=True)


def drop_stun_from_media_ports():
    """An htb root on lo that passes everything but STUN from ports 40000-40063 (IPv4
    without options: the cookie sits 32 bytes into the packet), which goes to a bucket
    smaller than any STUN message, so each is dropped."""
    tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000000")
    for band in ("1:10", "1:30"):
        tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
    tc("qdisc", "add", "dev", "lo", "parent", "1:30", "handle", "30:", "tbf", "rate", "8kbit", "burst", "20",
       "limit", "20")
    tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
       "match", "ip", "protocol", "17", "0xff", "match", "ip", "sport", "40000", "0xffc0",
       "match", "u16", BINDING_REQUEST, "0xffff", "at", "28", "match", "u32", STUN_MAGIC_COOKIE, "0xffffffff", "at", "32",
       "flowid", "1:30")


def dropped_stun():
    shown = subprocess.run(["tc", "-s", "qdisc", "show", "dev", "lo"], capture_output=True, text=True).stdout
    for block in shown.split("qdisc ")[1:]:
        if block.startswith("tbf 30:"):
            return int(block.split("dropped ")[1].split(",")[0])
    return None


def participants(server):
    return sum(len(room["participants"]) for room in json.loads(server.get("/admin/rooms")))


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
    driver = chromium()
    base = f"http://127.0.0.1:{PAGE_PORT}/index.html?room={ROOM}&server={url}"
    driver.get(f"{base}&role=publisher&display=publisher")
    driver.switch_to.new_window("tab")
    driver.get(f"{base}&role=subscriber&display=subscriber")

    def frames():
        return (driver.execute_async_script(STATS, "subscriber") or {}).get("frames", 0)

    if not wait_until(lambda: frames() > 0, 30):
        fail("the subscriber decoded nothing")
    result["checks"]["participants_before"] = participants(server)
    drop_stun_from_media_ports()
    start = time.monotonic()
    for second in range(1, DROP + 6):
        time.sleep(max(0, start + second - time.monotonic()))
        if second == DROP + 1:
            tc("qdisc", "del", "dev", "lo", "root")
        result["samples"].append({"t": second, "frames": frames(), "stunDropped": dropped_stun()})
    result["checks"]["participants_at_end"] = participants(server)
finally:
    if driver:
        driver.quit()
    code, log = server.stop()
    result["server_exit"] = code
    if code != 0:
        result["server_log"] = log[-3000:]
    page.shutdown()

counts = [sample["frames"] for sample in result["samples"]]
checks = result["checks"]
checks["seconds_without_frames"] = [
    sample["t"] for sample, before in zip(result["samples"][1:], counts) if sample["frames"] <= before
]
# The server's own binding requests (consent checks, when it sends any) that were dropped.
checks["stun_dropped"] = max((sample["stunDropped"] or 0) for sample in result["samples"])
print(json.dumps(result))
if checks["seconds_without_frames"] or checks["participants_at_end"] != checks["participants_before"] or checks["stun_dropped"] < 2:
    sys.exit(1)
if result["server_exit"] != 0:
    sys.exit(1)
