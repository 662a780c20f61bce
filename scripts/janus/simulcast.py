"""janus.js simulcast through Janus 1.1.2 and through SwiftSFU, in one run.

The janus.js page publishes Chromium's fake camera at 1280x720 in janus.js's three
simulcast layers (rids h, m, l), and a second tab subscribes. On each server, from the
subscriber's first decoded frame on, both tabs' video stats are sampled every second:
for SETTLE seconds unconstrained, then for 10 s after the subscriber sends `configure`
with `substream: 0` (as janus.js's simulcast demo does), for 10 s after `temporal: 0`
(the base temporal layer: a quarter of the frame rate with Chromium's three), then for
10 s after `substream: 2` with `temporal: 2`. The servers run one after the other, Janus
first, in this network namespace (Janus on a veth address of its own; see
reference_janus.py).

With CODEC `h264` the room is H.264 and the `temporal` phase is left out (Chromium's
H.264 has no temporal layers).

Usage (as root, inside a network namespace that has only `lo`): simulcast.py SFU PORT [SETTLE] [CODEC]
Prints one JSON object: per server, the samples and each phase's last width and frame
rate, and how long each switch took to show in the subscriber's decoded frames; and the
checks: SwiftSFU's subscriber decodes the same widths as Janus's in each phase, 320 px
after `substream: 0` and more after `substream: 2`, each switch within 5 s; after
`temporal: 0` at most 60 % of the frame rate before it, as through Janus, and the full
rate again after `temporal: 2`; janus.js hears of each switch in `substream` and
`temporal` events, as from Janus. Exits non-zero when a check fails.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from janusjs_page import JANUS_JS, serve_janusjs_page  # noqa: E402
from janus_call import (layer_state, phase_summary, publisher_and_subscriber, run_phases,  # noqa: E402
                        sfu_server)
from reference_janus import Janus  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
SETTLE = int(sys.argv[3]) if len(sys.argv) > 3 else 20
CODEC = sys.argv[4] if len(sys.argv) > 4 else "vp8"
WS_PORT, JANUS_PORT, PAGE_PORT = PORT + 100, PORT + 200, PORT + 300
ROOM = 5153
CREATE = {"request": "create", "room": ROOM, "publishers": 6, "videocodec": CODEC, "audiocodec": "opus",
          "bitrate": 3_000_000}
PHASES = [("unconstrained", None, SETTLE), ("substream 0", {"substream": 0}, 10),
          ("temporal 0", {"substream": 0, "temporal": 0}, 10), ("substream 2", {"substream": 2, "temporal": 2}, 10)]
if CODEC != "vp8":
    PHASES = [phase for phase in PHASES if phase[0] != "temporal 0"]
result = {"settle_seconds": SETTLE, "codec": CODEC, "servers": {}, "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def measure(name, url, inspect=None):
    """Publishes in simulcast and subscribes through the server at `url`; returns the
    samples of each phase. `inspect`, when given, is called at the end of each phase."""
    with publisher_and_subscriber(name, url, PAGE_PORT, ROOM, CREATE, fail, simulcast=True) as (driver, tabs):
        phases, events = run_phases(driver, tabs, PHASES, inspect)
        return {"phases": phases, "substream_events": [e for e in events if e.get("substream") is not None],
                "temporal_events": [e for e in events if e.get("temporal") is not None]}


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
try:
    janus = Janus(JANUS_PORT)
    try:
        run = measure("janus", janus.url)
    finally:
        janus.stop()
    result["servers"]["janus"] = dict(run, summary=phase_summary(run))
    with sfu_server(SERVER, PORT, result, "--janus-ws-port", str(WS_PORT)) as server:
        run = measure("swiftsfu", f"ws://127.0.0.1:{WS_PORT}/", inspect=lambda: layer_state(server))
    result["servers"]["swiftsfu"] = dict(run, summary=phase_summary(run))
finally:
    page.shutdown()

janus_summary = result["servers"]["janus"]["summary"]
ours = result["servers"]["swiftsfu"]["summary"]
checks = result["checks"]
for label, _, _ in PHASES:
    checks[label] = {"janus_width": janus_summary[label]["width"], "swiftsfu_width": ours[label]["width"],
                     "janus_seconds": janus_summary[label]["seconds_to_width"],
                     "swiftsfu_seconds": ours[label]["seconds_to_width"]}
checks["swiftsfu_substream_events"] = [e["substream"] for e in result["servers"]["swiftsfu"]["substream_events"]]
checks["janus_substream_events"] = [e["substream"] for e in result["servers"]["janus"]["substream_events"]]
for name in ("janus", "swiftsfu"):
    checks[f"{name}_temporal_events"] = [e["temporal"] for e in result["servers"][name]["temporal_events"]]
    checks[f"{name}_fps"] = [result["servers"][name]["summary"][label]["fps"] for label, _, _ in PHASES[1:]]
print(json.dumps(result))
if checks["swiftsfu_substream_events"][-2:] != [0, 2]:
    sys.exit(1)
fps = checks["swiftsfu_fps"]
if CODEC == "vp8" and not (fps[1] <= 0.6 * fps[0] and fps[2] > 0.6 * fps[0] and 0 in checks["swiftsfu_temporal_events"]):
    sys.exit(1)
if any(c["janus_width"] != c["swiftsfu_width"] for c in checks.values() if isinstance(c, dict)):
    sys.exit(1)
if ours["substream 0"]["width"] != 320 or ours["substream 2"]["width"] <= 320:
    sys.exit(1)
if ours["substream 0"]["seconds_to_width"] > 5 or ours["substream 2"]["seconds_to_width"] > 5:
    sys.exit(1)
if result["server_exit"] != 0:
    sys.exit(1)
