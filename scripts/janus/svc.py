"""janus.js VP9 SVC through Janus 1.1.2 and through SwiftSFU, in one run.

The janus.js page publishes Chromium's fake camera at 1280x720 in one VP9 stream with
three spatial and three temporal layers (`svc: "L3T3_KEY"`), and a second tab
subscribes. On each server, from the subscriber's first decoded frame on, both tabs'
video stats are sampled every second: for SETTLE seconds unconstrained, then for 10 s
after each `configure` with `spatial_layer` 0, 1 and 2 (as janus.js's SVC demo sends
it). The servers run one after the other, Janus first, in this network namespace (Janus
on a veth address of its own; see reference_janus.py).

With CODEC `av1` the room is AV1: the layers are read from the dependency descriptor.

Usage (as root, inside a network namespace that has only `lo`): svc.py SFU PORT [SETTLE] [CODEC]
Prints one JSON object: per server, the samples and each phase's last width, and how
long each switch took to show in the subscriber's decoded frames; and the checks:
through SwiftSFU the subscriber decodes 1280 px unconstrained, 320, 640 and 1280 px
after `spatial_layer` 0, 1 and 2, each switch within 5 s, and janus.js hears of each
layer in `spatial_layer` events. Janus's widths are reported beside them (Janus 1.1.2
forwards the VP9 stream whole: 1280 px in every phase, and no `spatial_layer` event; in
the AV1 room its subscriber decodes nothing, reported as its `failure`).
Exits non-zero when a check fails.
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
SETTLE = int(sys.argv[3]) if len(sys.argv) > 3 else 15
CODEC = sys.argv[4] if len(sys.argv) > 4 else "vp9"
WS_PORT, JANUS_PORT, PAGE_PORT = PORT + 100, PORT + 200, PORT + 300
ROOM = 5155
CREATE = {"request": "create", "room": ROOM, "publishers": 6, "videocodec": CODEC, "audiocodec": "opus",
          "bitrate": 3_000_000}
PHASES = [("unconstrained", None, SETTLE), ("spatial 0", {"spatial_layer": 0}, 10),
          ("spatial 1", {"spatial_layer": 1}, 10), ("spatial 2", {"spatial_layer": 2}, 10)]
result = {"settle_seconds": SETTLE, "codec": CODEC, "servers": {}, "checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


class ReferenceFailed(Exception):
    """What went wrong through Janus: reported beside SwiftSFU's results, not a failure."""


def reference_failed(reason):
    raise ReferenceFailed(reason)


def measure(name, url, inspect=None, failed=fail):
    """Publishes in SVC and subscribes through the server at `url`; returns the samples of
    each phase. `inspect`, when given, is called at the end of each phase."""
    with publisher_and_subscriber(name, url, PAGE_PORT, ROOM, CREATE, failed, svc="L3T3_KEY") as (driver, tabs):
        phases, events = run_phases(driver, tabs, PHASES, inspect)
        return {"phases": phases, "spatial_events": [e for e in events if e.get("spatial_layer") is not None]}


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
try:
    janus = Janus(JANUS_PORT)
    try:
        run = measure("janus", janus.url, failed=reference_failed)
        result["servers"]["janus"] = dict(run, summary=phase_summary(run))
    except ReferenceFailed as reason:
        result["servers"]["janus"] = {"failure": str(reason), "summary": {}, "spatial_events": []}
    finally:
        janus.stop()
    with sfu_server(SERVER, PORT, result, "--janus-ws-port", str(WS_PORT)) as server:
        run = measure("swiftsfu", f"ws://127.0.0.1:{WS_PORT}/", inspect=lambda: layer_state(server))
    result["servers"]["swiftsfu"] = dict(run, summary=phase_summary(run))
finally:
    page.shutdown()

janus_summary = result["servers"]["janus"]["summary"]
ours = result["servers"]["swiftsfu"]["summary"]
checks = result["checks"]
for label, _, _ in PHASES:
    checks[label] = {"janus_width": janus_summary.get(label, {}).get("width"), "swiftsfu_width": ours[label]["width"],
                     "janus_seconds": janus_summary.get(label, {}).get("seconds_to_width"),
                     "swiftsfu_seconds": ours[label]["seconds_to_width"]}
for name in ("janus", "swiftsfu"):
    checks[f"{name}_spatial_events"] = sorted({e["spatial_layer"] for e in result["servers"][name]["spatial_events"]})
print(json.dumps(result))
WANTED = {"unconstrained": 1280, "spatial 0": 320, "spatial 1": 640, "spatial 2": 1280}
failures = [label for label, _, _ in PHASES if checks[label]["swiftsfu_width"] != WANTED[label]]
failures += [label for label, configure, _ in PHASES if configure and checks[label]["swiftsfu_seconds"] > 5]
if not {0, 1, 2} <= set(checks["swiftsfu_spatial_events"]):
    failures.append("spatial_layer events")
if failures or result.get("server_exit") != 0:
    sys.exit(f"svc checks failed: {failures}")
