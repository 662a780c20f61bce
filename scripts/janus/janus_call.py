"""What the Janus-face browser scripts share: the video stats script the janus.js page's
tabs answer, one VideoRoom request over a fresh Janus session, shaping what leaves the
server's media ports, and a janus.js call through SwiftSFU."""

import contextlib
import json
import os
import subprocess
import sys
import time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, wait_until  # noqa: E402
from janusjs_page import serve_janusjs_page  # noqa: E402

# Both peer connections' video stats: what the publisher sends, what the subscriber gets.
STATS = """
const done = arguments[arguments.length - 1];
const pc = arguments[0] === "publisher" ? window.publisherPC() : window.subscriberPC();
if (!pc) { done(null); return; }
pc.getStats().then((stats) => {
  let found = null;
  stats.forEach((r) => {
    if (r.kind !== "video") return;
    if (r.type === "outbound-rtp" || r.type === "inbound-rtp") {
      found = {bytes: r.bytesSent || r.bytesReceived || 0, width: r.frameWidth || 0, height: r.frameHeight || 0,
               fps: r.framesPerSecond || 0, frames: r.framesDecoded || r.framesEncoded || 0,
               limitation: r.qualityLimitationReason || null, target: r.targetBitrate || null,
               freezes: r.freezeCount || 0, freezeSeconds: r.totalFreezesDuration || 0};
    }
  });
  stats.forEach((r) => {
    if (found && r.type === "candidate-pair" && r.nominated && r.state === "succeeded") {
      found.available = r.availableOutgoingBitrate || null;
      found.responses = r.responsesReceived || 0;
    }
  });
  done(found);
}).catch(() => done(null));
"""



def janus_request(url, body, token=None):
    """One VideoRoom request over a fresh Janus session on `url` (with a stored `token`
    on every message when given)."""
    socket = websocket.create_connection(url, subprotocols=["janus-protocol"], timeout=10)
    try:
        def call(message):
            if token:
                message["token"] = token
            socket.send(json.dumps(message))
            while True:
                reply = json.loads(socket.recv())
                if reply.get("transaction") == message["transaction"] and reply.get("janus") != "ack":
                    return reply
        session = call({"janus": "create", "transaction": "r1"})["data"]["id"]
        handle = call({"janus": "attach", "session_id": session, "plugin": "janus.plugin.videoroom",
                       "transaction": "r2"})["data"]["id"]
        return call({"janus": "message", "session_id": session, "handle_id": handle, "transaction": "r3",
                     "body": body})
    finally:
        socket.close()


# The server's media ports in the scripts that shape them: what leaves them is the
# subscriber's media (and the publisher's RTCP).
MEDIA_PORTS = "40000-40063"


def tc(*arguments):
    subprocess.run(["tc", *arguments], check=True, capture_output=True)


def shape_media_ports(rate, leaf=("tbf", "rate", None, "burst", "4kb", "latency", "100ms"), match=(),
                      towards=False):
    """On lo, UDP leaving the media ports (or, `towards`, going to them: the publishers'
    media) and matching `match` (more u32 selectors) goes through `leaf`, a qdisc whose
    `None` is `rate` (by default a token bucket at `rate` with at most 100 ms of queue);
    everything else passes. An htb root with two 10 Gbit/s classes: this kernel has no
    prio qdisc."""
    tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000000")
    for band in ("1:10", "1:20"):
        tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
    tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", *[rate if p is None else p for p in leaf])
    tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
       "match", "ip", "protocol", "17", "0xff", "match", "ip", "dport" if towards else "sport", "40000", "0xffc0",
       *match, "flowid", "1:20")


def change_media_ports_rate(rate):
    """The media ports' token bucket at another rate."""
    tc("qdisc", "change", "dev", "lo", "parent", "1:20", "handle", "20:", "tbf", "rate", rate, "burst", "4kb",
       "latency", "100ms")


def unshape():
    tc("qdisc", "del", "dev", "lo", "root")


@contextlib.contextmanager
def janus_page_and_server(sfu, port, result, arguments=()):
    """SwiftSFU (`sfu` on `port`, its Janus WebSocket on port + 100, media on
    MEDIA_PORTS) and the janus.js page on port + 300. Yields the server; at the end, its
    exit status (and log tail when it failed) go into `result`."""
    page = serve_janusjs_page(port + 300)
    server = Server(sfu, port, "--janus-ws-port", str(port + 100), "--port-range", MEDIA_PORTS, *arguments)
    try:
        yield server
    finally:
        code, log = server.stop()
        result["server_exit"] = code
        if code != 0:
            result["server_log"] = log[-3000:]
        page.shutdown()


@contextlib.contextmanager
def swiftsfu_call(sfu, port, room, result, fail, create=None, simulcast=False, before_browser=None, arguments=(),
                  publisher_query="", token=None, after_start=None):
    """A janus.js publisher tab and a subscriber tab in one Chromium, through SwiftSFU
    (`janus_page_and_server`) in `room`, made with `create`'s extra fields.
    `before_browser` runs once the room exists (to shape the link before anything
    connects). Yields the server and the driver once the subscriber decoded a frame; at
    the end, the server's exit status (and log tail when it failed) go into `result`.
    `arguments` go to the server; `publisher_query` to the publisher's page
    (`&screen=1`); `token`, a stored token of `token_auth`, to every request and page;
    `after_start` runs once the server is up, before the room is made."""
    with janus_page_and_server(sfu, port, result, arguments) as server:
        driver = None
        try:
            url = f"ws://127.0.0.1:{port + 100}/"
            if after_start:
                after_start()
            created = janus_request(url, {"request": "create", "room": room, "publishers": 6, "videocodec": "vp8",
                                          **(create or {})}, token=token)
            if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
                fail(f"create: {created}")
            if before_browser:
                before_browser()
            driver = chromium()
            base = f"http://127.0.0.1:{port + 300}/index.html?room={room}&server={url}" + (
                f"&token={token}" if token else "")
            driver.get(f"{base}&role=publisher&display=publisher" + ("&simulcast=1" if simulcast else "")
                       + publisher_query)
            driver.switch_to.new_window("tab")
            driver.get(f"{base}&role=subscriber&display=subscriber")
            if not wait_until(lambda: (driver.execute_async_script(STATS, "subscriber") or {}).get("frames", 0) > 0,
                              30):
                fail("the subscriber decoded nothing")
            yield server, driver
        finally:
            if driver:
                driver.quit()


def stats(driver, tab, role):
    """The video stats of `role`'s peer connection in browser tab `tab`."""
    driver.switch_to.window(tab)
    return driver.execute_async_script(STATS, role)


@contextlib.contextmanager
def publisher_and_subscriber(name, url, page_port, room, create, fail, simulcast=False, svc=None):
    """On the server at `url`: `room` made with `create`, then a janus.js publisher tab
    (in simulcast, or in SVC mode `svc`) and a subscriber tab in one Chromium. Yields the
    driver and the two tabs by role once the subscriber decoded a frame."""
    created = janus_request(url, create)
    if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
        fail(f"{name}: create: {created}")
    driver = chromium()
    try:
        base = f"http://127.0.0.1:{page_port}/index.html?room={room}&server={url}"
        driver.get(f"{base}&role=publisher&display=publisher" + ("&simulcast=1" if simulcast else "")
                   + (f"&svc={svc}" if svc else ""))
        tabs = {"publisher": driver.current_window_handle}
        driver.switch_to.new_window("tab")
        driver.get(f"{base}&role=subscriber&display=subscriber")
        tabs["subscriber"] = driver.current_window_handle
        if not wait_until(lambda: (stats(driver, tabs["subscriber"], "subscriber") or {}).get("frames", 0) > 0, 30):
            fail(f"{name}: the subscriber decoded nothing")
        yield driver, tabs
    finally:
        driver.quit()


def run_phases(driver, tabs, phases, inspect=None):
    """Each phase (label, `configure` fields for the subscriber's video or None, seconds):
    the subscriber sends the `configure` as janus.js's demos do, then both tabs' video
    stats are sampled every second. `inspect`, when given, is called at the end of each
    phase. Returns the phases' samples and every event the subscriber's page noted."""
    out = []
    for label, configure, seconds in phases:
        if configure is not None:
            driver.switch_to.window(tabs["subscriber"])
            mid = driver.execute_script("return window.subscriberVideoMid();")
            driver.execute_script("window.configureSubscriber(arguments[0]);", dict(configure, mid=mid))
        samples = []
        start = time.monotonic()
        for second in range(1, seconds + 1):
            time.sleep(max(0, start + second - time.monotonic()))
            samples.append({"t": second, "publisher": stats(driver, tabs["publisher"], "publisher"),
                            "subscriber": stats(driver, tabs["subscriber"], "subscriber")})
        phase = {"phase": label, "samples": samples}
        if inspect:
            phase["server"] = inspect()
        out.append(phase)
    driver.switch_to.window(tabs["subscriber"])
    return out, driver.execute_script("return window.state.events;")


def phase_summary(run):
    """Per phase of `run_phases`: the subscriber's last width and frame rate, the
    publisher's width, and the first second at which the subscriber's width was the
    phase's last."""
    out = {}
    for phase in run["phases"]:
        widths = [(s["subscriber"] or {}).get("width", 0) for s in phase["samples"]]
        last = widths[-1]
        out[phase["phase"]] = {
            "width": last,
            "fps": (phase["samples"][-1]["subscriber"] or {}).get("fps", 0),
            "publisher_width": (phase["samples"][-1]["publisher"] or {}).get("width", 0),
            "seconds_to_width": next(i + 1 for i, w in enumerate(widths) if all(x == last for x in widths[i:])),
        }
    return out


@contextlib.contextmanager
def sfu_server(sfu, port, result, *arguments):
    """SwiftSFU (`sfu` on `port`, with `arguments`) for the block; at its end, the server's
    exit status (and log tail when it failed) go into `result`."""
    server = Server(sfu, port, *arguments)
    try:
        yield server
    finally:
        code, log = server.stop()
        result["server_exit"] = code
        if code != 0:
            result["server_log"] = log[-3000:]


def layer_state(server):
    """What /admin/rooms says of layers: the consumers that forward some (their current,
    target and why), and every track's streams."""
    participants = [p for room in json.loads(server.get("/admin/rooms")) for p in room["participants"]]
    return {"consumers": [c for p in participants for c in p["consumers"]
                          if c.get("currentSpatialLayer") is not None or c.get("targetSpatialLayer") is not None],
            "streams": [t["streams"] for p in participants for t in p["producers"]]}
