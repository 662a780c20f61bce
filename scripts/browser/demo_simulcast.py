"""Simulcast through the demo page: the size of each video tile and the link decide the
layer a viewer gets.

Two participants join one room through the demo page in headless Chromium: the first
publishes Chromium's fake camera at 1280x720 in three simulcast encodings (the demo
page's default), the viewer stops its camera and microphone with the page's buttons (the
limit below is on everything the server sends, the publisher's download included). The
viewer's tile of the publisher is 1280x960 CSS pixels from the start, and:

1. behind a 400 kbit/s token bucket on everything that leaves the server's media ports
   from before the browsers start, the viewer must decode the lowest layer (320 px)
   within 10 s and through the 20th second, with no second without a new frame and
   freezes under a second on average;
2. the limit lifted, 1280 px within 30 s;
3. the tile set to 160x120: the page tells the server the tile's size, and the viewer
   must decode 320 px (the smallest encoding that covers it) within 5 s;
4. the tile 1280x960 again, then the limit put back at once: the viewer must be back on
   320 px within 10 s (how long it froze at the cut is reported).

Usage (as root, inside a network namespace that has only `lo`): demo_simulcast.py SFU PORT
Prints one JSON object with the samples and checks; exits non-zero when a check fails.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "janus"))
from harness import Server, chromium, wait_until  # noqa: E402
from janus_call import MEDIA_PORTS, shape_media_ports, unshape  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
BASE = f"http://127.0.0.1:{PORT}"
ROOM = "simulcast-demo"
LIMIT = "400kbit"
result = {"limit": LIMIT, "phases": {}, "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


VIEW = """
const done = arguments[arguments.length - 1];
const demo = window.sfuDemo;
if (!demo || !demo.client) { done(null); return; }
const publisher = demo.participantIds()[0];
demo.stats().then((s) => done({publisher, video: (s[publisher] || {}).video || null})).catch(() => done(null));
"""

RESIZE = """
const [width, height] = arguments;
const demo = window.sfuDemo;
const id = demo.participantIds()[0];
const figure = document.querySelector(`figure[data-participant="${id}"]`);
figure.style.width = width + 'px';
figure.style.gridColumn = '1 / -1';
figure.querySelector('video').style.width = width + 'px';
figure.querySelector('video').style.height = height + 'px';
"""


def view():
    return driver.execute_async_script(VIEW) or {}


def sample(seconds):
    """The viewer's decoded video of the publisher, once a second for `seconds`."""
    samples = []
    start = time.monotonic()
    for second in range(1, seconds + 1):
        time.sleep(max(0, start + second - time.monotonic()))
        video = view().get("video") or {}
        samples.append({"t": second, "width": video.get("frameWidth", 0), "fps": video.get("framesPerSecond", 0),
                        "frames": video.get("framesDecoded", 0), "freezes": video.get("freezeCount", 0),
                        "freezeSeconds": round(video.get("totalFreezesDuration", 0), 2)})
    return samples


def first_second(samples, width):
    """The first second from which the viewer decoded `width` to the end of `samples`."""
    return next((s["t"] for i, s in enumerate(samples) if all(x["width"] == width for x in samples[i:])), None)


server = None
driver = None
try:
    try:
        server = Server(SERVER, PORT, "--port-range", MEDIA_PORTS)
    except RuntimeError as error:
        fail(str(error))
    shape_media_ports(LIMIT)
    driver = chromium()
    driver.get(f"{BASE}/?room={ROOM}&name=publisher&autojoin=1")
    driver.switch_to.new_window("tab")
    driver.get(f"{BASE}/?room={ROOM}&name=viewer&autojoin=1&simulcast=0")
    if not wait_until(lambda: driver.execute_script("return window.sfuDemo.participantIds().length") > 0, 30):
        fail("the viewer never saw the publisher")
    driver.execute_script(RESIZE, 1280, 960)
    if not wait_until(lambda: (view().get("video") or {}).get("framesDecoded", 0) > 0, 30):
        fail("the viewer decoded nothing of the publisher")
    driver.execute_script("document.getElementById('camera').click(); document.getElementById('mic').click();")
    limited = sample(20)
    result["phases"]["limited"] = limited
    unshape()
    lifted = sample(30)
    result["phases"]["lifted"] = lifted
    driver.execute_script(RESIZE, 160, 120)
    small = sample(8)
    result["phases"]["small"] = small
    driver.execute_script(RESIZE, 1280, 960)
    big = sample(12)
    result["phases"]["big"] = big
    shape_media_ports(LIMIT)
    cut = sample(15)
    result["phases"]["cut"] = cut
    unshape()
    rooms = json.loads(server.get("/admin/rooms"))
    result["streams"] = [t["streams"] for room in rooms for p in room["participants"] for t in p["producers"]
                         if len(t["streams"]) > 1]
finally:
    if driver is not None:
        driver.quit()
    if server is not None:
        result["server_exit"], log = server.stop()
        if result["server_exit"] != 0:
            result["server_log_tail"] = log

checks = result["checks"]
checks["limited_first_second_at_320"] = next((s["t"] for s in limited if s["width"] == 320), None)
checks["limited_widths_10_to_20"] = sorted({s["width"] for s in limited[9:]})
checks["limited_seconds_without_frames"] = [
    s["t"] for s, before in zip(limited[1:], limited) if s["frames"] <= before["frames"]]
checks["limited_freezes"] = limited[-1]["freezes"]
checks["limited_freeze_seconds"] = limited[-1]["freezeSeconds"]
checks["lifted_first_second_at_1280"] = next((s["t"] for s in lifted if s["width"] == 1280), None)
checks["small_first_second_at_320"] = first_second(small, 320)
checks["big_width"] = big[-1]["width"]
checks["cut_first_second_at_320"] = first_second(cut, 320)
checks["cut_freezes"] = cut[-1]["freezes"] - big[-1]["freezes"]
checks["cut_freeze_seconds"] = round(cut[-1]["freezeSeconds"] - big[-1]["freezeSeconds"], 2)
print(json.dumps(result))
if (checks["limited_first_second_at_320"] or 99) > 10 or checks["limited_widths_10_to_20"] != [320]:
    sys.exit(1)
if checks["limited_seconds_without_frames"]:
    sys.exit(1)
if checks["limited_freezes"] and checks["limited_freeze_seconds"] / checks["limited_freezes"] >= 1:
    sys.exit(1)
if (checks["lifted_first_second_at_1280"] or 99) > 30 or (checks["small_first_second_at_320"] or 99) > 5:
    sys.exit(1)
if checks["big_width"] != 1280 or (checks["cut_first_second_at_320"] or 99) > 10 or result["server_exit"] != 0:
    sys.exit(1)
