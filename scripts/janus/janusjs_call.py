"""janus.js (Debian's libjs-janus-gateway) in headless Chromium against SwiftSFU's Janus
face: one publisher and two subscribers in a VideoRoom room, one subscriber over the
WebSocket transport and one over HTTP long polls. Every subscriber must decode the
publisher's video; then the publisher leaves and the subscribers must be told.

Usage (inside a network namespace that has only `lo`): janusjs_call.py SFU PORT
Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, wait_until  # noqa: E402
from janusjs_page import JANUS_JS, serve_janusjs_page  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
WS_PORT, HTTP_PORT, PAGE_PORT = PORT + 100, PORT + 200, PORT + 300
ROOM = 4242
result = {"checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def janus_http(path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def state(driver, tab):
    driver.switch_to.window(tab)
    return driver.execute_script("return window.state")


def frames_decoded(driver, tab):
    driver.switch_to.window(tab)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const pc = window.subscriberPC && window.subscriberPC();
        if (!pc) { done(0); return; }
        pc.getStats().then((stats) => {
          let frames = 0;
          stats.forEach((report) => {
            if (report.type === "inbound-rtp" && report.kind === "video") frames += report.framesDecoded || 0;
          });
          done(frames);
        });""")


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
server = Server(SERVER, PORT, "--janus-ws-port", str(WS_PORT), "--janus-http-port", str(HTTP_PORT))
page = serve_janusjs_page(PAGE_PORT)
driver = None
try:
    # The room, made over the HTTP transport the way a call service would.
    session = janus_http("/janus", {"janus": "create", "transaction": "c1"})["data"]["id"]
    handle = janus_http(f"/janus/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom",
                                               "transaction": "c2"})["data"]["id"]
    created = janus_http(f"/janus/{session}/{handle}", {
        "janus": "message", "transaction": "c3",
        "body": {"request": "create", "room": ROOM, "description": "janus.js test", "publishers": 6,
                 "bitrate": 512000, "fir_freq": 10, "videocodec": "vp8"}})
    result["checks"]["room_created"] = created["plugindata"]["data"].get("videoroom") == "created"
    if not result["checks"]["room_created"]:
        fail(f"create: {created}")

    driver = chromium()
    base = f"http://127.0.0.1:{PAGE_PORT}/index.html?room={ROOM}"
    ws = f"ws://127.0.0.1:{WS_PORT}/"
    rest = f"http://127.0.0.1:{HTTP_PORT}/janus"
    driver.get(f"{base}&role=publisher&display=alice&server={ws}")
    tabs = {"publisher": driver.current_window_handle}
    if not wait_until(lambda: state(driver, tabs["publisher"])["webrtcUp"], 20):
        fail(f"the publisher's peer connection did not come up: {state(driver, tabs['publisher'])}")
    feed = state(driver, tabs["publisher"])["joined"]
    for name, url in [("subscriber_ws", ws), ("subscriber_http", rest)]:
        driver.switch_to.new_window("tab")
        driver.get(f"{base}&role=subscriber&display={name}&server={url}")
        tabs[name] = driver.current_window_handle

    subscribers = ["subscriber_ws", "subscriber_http"]
    if not wait_until(lambda: all(frames_decoded(driver, tabs[name]) > 0 for name in subscribers), 30):
        fail("a subscriber decoded nothing: " + json.dumps({name: state(driver, tabs[name]) for name in subscribers}))
    before = {name: frames_decoded(driver, tabs[name]) for name in subscribers}
    time.sleep(4)
    growth = {name: frames_decoded(driver, tabs[name]) - before[name] for name in subscribers}
    result["checks"]["frames_decoded_growth"] = growth
    result["checks"]["subscribers_saw_feed"] = all(feed in state(driver, tabs[name])["feeds"] for name in subscribers)
    publisher_events = [event["kind"] for event in state(driver, tabs["publisher"])["events"]]
    result["checks"]["publisher_media_events"] = publisher_events.count("media")

    # The publisher leaves: every other participant is told it unpublished and left.
    driver.switch_to.window(tabs["publisher"])
    driver.execute_script("window.leave()")

    def told(name):
        events = state(driver, tabs[name])["events"]
        return (any(event.get("unpublished") == feed for event in events)
                and any(event.get("leaving") == feed for event in events))

    result["checks"]["subscribers_told_of_leave"] = bool(wait_until(lambda: all(told(n) for n in subscribers), 10))
    result["checks"]["page_errors"] = {name: state(driver, tab)["errors"] for name, tab in tabs.items()}
    metrics = server.get("/metrics")
    result["checks"]["janus_requests_counted"] = any(
        line.startswith('sfu_signaling_requests_total{face="janus"') for line in metrics.splitlines())
finally:
    if driver is not None:
        driver.quit()
    page.shutdown()
    code, log = server.stop()
    result["server_exit"] = code
    if code != 0:
        result["server_log"] = log

checks = result["checks"]
if min(checks.get("frames_decoded_growth", {"none": 0}).values()) < 30:
    fail("a subscriber decoded fewer than 30 frames in 4 s")
if not checks.get("subscribers_told_of_leave"):
    fail("the subscribers were not told that the publisher left")
if any(checks.get("page_errors", {}).values()):
    fail("a page reported an error")
print(json.dumps(result))
