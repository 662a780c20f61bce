"""Recordings of the other codecs a browser publishes: three rooms made with Janus's
`record: true`, as seed 002's call service makes them, one with `videocodec: "vp9"`, one
with `"h264"`, one with `"av1"`, one whose janus.js publisher sends its microphone
alone, and one with VP9 in three spatial layers (janus.js `svc: "L3T3_KEY"`). Chromium
publishes in all five at once for about 10 s, then the tabs close and the server stops.
The SVC publisher's recording holds its lowest spatial layer, one picture size all
through (a file of whole pictures would flicker between sizes in decoders other than
libvpx, which show every layer).

Each room's recording must be one file in its `rec_dir` that plays: VP9 and Opus in
WebM, H.264 and Opus in Matroska (`.mkv`), AV1 and Opus in WebM, Opus alone in Ogg;
ffprobe sees the codecs and a duration within 1.5 s of the time its publisher was seen
connected until its tab closed (about 10 s); ffmpeg decodes every frame
(libvpx-vp9, its own H.264 decoder, libdav1d, libopus) without an error; audio and video start within 50 ms of each other;
the `recording_finished` webhook names the file and its codecs.

Usage (as root, inside a network namespace that has only `lo`): record_codecs.py SFU PORT
Prints one JSON object per room's checks. Exits non-zero when a check fails.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import chromium, wait_until  # noqa: E402
from janus_call import janus_page_and_server, janus_request  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402
from recording_checks import Webhooks, examine  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
SECONDS = 10
# Room → (the room's videocodec, the publisher page's extra query, the file's extension,
# the recorded video codec).
ROOMS = {6171: ("vp9", "", ".webm", "vp9"), 6172: ("h264", "", ".mkv", "h264"),
         6173: ("vp8", "&audioonly=1", ".ogg", None), 6174: ("av1", "", ".webm", "av1"),
         6175: ("vp9", "&svc=L3T3_KEY", ".webm", "vp9")}
result = {"rooms": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
webhooks = Webhooks(PORT + 400)
folder = tempfile.mkdtemp(prefix="swiftsfu-recordings-")
url = f"ws://127.0.0.1:{PORT + 100}/"
with janus_page_and_server(SERVER, PORT, result, ("--webhook-url", f"http://127.0.0.1:{PORT + 400}/hooks")):
    for room, (codec, _, _, _) in ROOMS.items():
        created = janus_request(url, {"request": "create", "room": room, "publishers": 6, "videocodec": codec,
                                      "record": True, "rec_dir": os.path.join(folder, f"call-{room}")})
        if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
            fail(f"create {room}: {created}")
    driver = chromium()
    try:
        tabs = {}
        for room, (_, extra, _, _) in ROOMS.items():
            if tabs:
                driver.switch_to.new_window("tab")
            driver.get(f"http://127.0.0.1:{PORT + 300}/index.html?room={room}&server={url}&role=publisher"
                       f"&display=publisher-{room}{extra}")
            tabs[room] = driver.current_window_handle

        def up_time(room):
            driver.switch_to.window(tabs[room])
            return driver.execute_script("return window.state.webrtcUpAt;")
        # When each publisher's connection came up (its page's wall clock: the tabs are
        # looked at in turn, seconds apart on a loaded machine) and when its tab closed:
        # how long its recording should last.
        up_at, closed_at = {}, {}

        def all_up():
            for room in ROOMS:
                if room not in up_at and (at := up_time(room)) is not None:
                    up_at[room] = at / 1000
            return len(up_at) == len(ROOMS)

        if not wait_until(all_up, 60, every=0.1):
            room = next(r for r in ROOMS if r not in up_at)
            driver.switch_to.window(tabs[room])
            fail(f"room {room}: the publisher never connected: {driver.execute_script('return window.state;')}")
        time.sleep(SECONDS)
        for room in ROOMS:
            # The tab closes, its Janus session with it: the recording ends with its tracks.
            driver.switch_to.window(tabs[room])
            driver.close()
            closed_at[room] = time.time()
        time.sleep(1)
    finally:
        driver.quit()
webhooks.close()
finished = [h for h in webhooks.recording() if h["event"] == "recording_finished"]
ok = result.get("server_exit") == 0
for room, (_, _, extension, video) in ROOMS.items():
    files = sorted(glob.glob(os.path.join(folder, f"call-{room}", "*")))
    checks = {"files": [os.path.basename(f) for f in files]}
    if len(files) == 1 and files[0].endswith(extension):
        checks.update(examine(files[0], video))
        widths = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                                 "frame=width", "-of", "csv=p=0", files[0]], capture_output=True, text=True,
                                timeout=120).stdout.split()
        checks["widths"] = sorted(set(int(w) for w in widths if w.strip().isdigit()))
        hook = [h for h in finished if h.get("file") == files[0]]
        checks["webhook_codecs"] = sorted(hook[0].get("codecs", [])) if hook else None
    expected = sorted(["opus"] + ([video] if video else []))
    checks["published_seconds"] = round(closed_at[room] - up_at[room], 2)
    checks["ok"] = (checks.get("codecs") == expected and checks.get("webhook_codecs") == expected
                    and abs(checks.get("duration", 0) - checks["published_seconds"]) <= 1.5
                    and checks.get("decodes_cleanly", False)
                    and abs(checks.get("start_offset", 1)) <= 0.05
                    and (room != 6175 or len(checks.get("widths", [])) == 1))
    ok = ok and checks["ok"]
    result["rooms"][str(room)] = checks
print(json.dumps(result))
sys.exit(0 if ok else 1)
