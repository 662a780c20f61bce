"""A janus.js call through SwiftSFU whose connections change while it goes on, as users
change them: the publisher adds a screen share (a canvas capture, as janus.js adds a
track: a second video track on the same handle, then `configure` with the new offer);
the subscriber, told by the `publishers` event, subscribes to it on its connection
(`subscribe`, answered by an `updated` offer) and decodes it; the publisher removes it
again (removeTrack and a new offer), and the subscriber's section of it is stopped by
an `updated` offer. Then ICE restarts: the publisher's (janus.js `iceRestart`, new
credentials in its offer) and the subscriber's (`configure` with `restart`, the
server's new offer).

Checks: the screen share decodes at the subscriber (640x360); the camera's video never
stops for more than 500 ms while the screen share comes and goes, nor for more than 2 s
across the ICE restarts; each restart brought new credentials (the remote description's
ufrag changed on both connections) and Chromium selected a pair of the new ICE session
on each, connected; no janus.js error; the server exits 0.

With `multistream`, one subscriber connection takes several publishers, as janus.js's
multistream demo does: publisher A, then B, join, and the subscriber adds B's streams to
its connection (`subscribe`); it unsubscribes A (`unsubscribe`), and adds C when C
joins. Then, on that connection: `configure` with one stream's `send: false` stops it
alone; `pause` stops both and `start` resumes them; `switch` puts C's camera in B's
section without renegotiation (the server's consumer of that section takes C's track,
janus.js is told `switched`). Checks: each of A, B and C decodes; A's frames stop after
the unsubscribe while B's go on; each request stops or resumes what it names; no
janus.js error; the server exits 0.

With `addresschange`, the subscriber is a Chromium in a second network namespace whose
only way to the server is a veth pair (second_network.py); mid-call its address there
changes, as when a laptop leaves Wi-Fi for LTE. The server finds the connection silent
and offers an ICE restart; janus.js answers it, Chromium gathers on its new address,
and the video comes back over a pair from that address. Checks: the video resumes
within 15 s of the change; the selected pair's local address is the new one; the
server offered the restart; no janus.js error; the server exits 0.

Usage (as root, inside a network namespace that has only `lo`):
renegotiate.py SFU PORT [multistream|pathloss|addresschange]
Prints one JSON object with the phases and the checks. Exits non-zero when a check fails.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import STATS, janus_page_and_server, janus_request, swiftsfu_call, tc  # noqa: E402
from harness import chromium, wait_until  # noqa: E402
from second_network import SERVER_ADDRESS, SecondNetwork  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
ROOM = 7171
result = {"checks": {}}
checks = result["checks"]


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result, indent=2))
    sys.exit(1)


def inbound(driver, tab):
    driver.switch_to.window(tab)
    return driver.execute_async_script("window.inboundVideo().then(arguments[arguments.length - 1]);") or {}


def page_state(driver, tab):
    driver.switch_to.window(tab)
    return driver.execute_script(
        "return {gaps: window.state.gaps, errors: window.state.errors, subscribed: window.state.subscribed,"
        " publisherUfrag: window.remoteUfrag('publisher'), subscriberUfrag: window.remoteUfrag('subscriber')};"
    )


def transport(driver, tab, role):
    driver.switch_to.window(tab)
    return driver.execute_async_script(
        f"window.transportStats('{role}').then(arguments[arguments.length - 1]);") or {}


def call(driver, tab, script):
    driver.switch_to.window(tab)
    driver.execute_script(script)


def multistream():
    """Publisher A's tab is up and the subscriber decodes it: B joins and is added to the
    subscriber's connection, A is unsubscribed, C joins and is added."""
    base = f"http://127.0.0.1:{PORT + 300}/index.html?room={ROOM}&server=ws://127.0.0.1:{PORT + 100}/"
    with swiftsfu_call(SERVER, PORT, ROOM, result, fail) as (server, driver):
        tabs = {"A": driver.window_handles[0]}
        subscriber_tab = driver.window_handles[1]
        feeds = {}

        def publish(name):
            driver.switch_to.new_window("tab")
            driver.get(f"{base}&role=publisher&display={name}")
            tabs[name] = driver.current_window_handle
            if not wait_until(lambda: driver.execute_script("return window.state.webrtcUp;"), 20):
                fail(f"publisher {name} did not connect")

        def feed_mids():
            """The subscriber's video sections by the feed they carry."""
            subscribed = page_state(driver, subscriber_tab)["subscribed"]
            return {s["feed_id"]: s["mid"] for s in subscribed if s.get("type") == "video" and "feed_id" in s}

        def decoding(feed, more_than=10):
            mid = feed_mids().get(feed)
            return mid is not None and inbound(driver, subscriber_tab).get(mid, {}).get("frames", 0) > more_than

        for name in ("A",):
            driver.switch_to.window(tabs[name])
            feeds[name] = driver.execute_script("return window.state.joined;")
        publish("B")
        driver.switch_to.window(tabs["B"])
        feeds["B"] = driver.execute_script("return window.state.joined;")
        checks["b_added_and_decoded"] = wait_until(lambda: decoding(feeds["B"]), 20)
        checks["a_decoded"] = decoding(feeds["A"])
        result["sections_with_a_and_b"] = feed_mids()
        a_mid = feed_mids().get(feeds["A"])

        call(driver, subscriber_tab, f"window.unsubscribeFeed({feeds['A']});")
        checks["a_unsubscribed"] = wait_until(lambda: feeds["A"] not in feed_mids(), 10)
        time.sleep(1)
        frames = inbound(driver, subscriber_tab)
        b_mid = feed_mids().get(feeds["B"])
        time.sleep(2)
        later = inbound(driver, subscriber_tab)
        checks["a_frames_after_unsubscribe"] = later.get(a_mid, {}).get("frames", 0) - frames.get(a_mid, {}).get(
            "frames", 0)
        checks["b_frames_after_unsubscribe"] = later.get(b_mid, {}).get("frames", 0) - frames.get(b_mid, {}).get(
            "frames", 0)
        # A's tab goes (its encoder is not needed), and C comes.
        driver.switch_to.window(tabs.pop("A"))
        driver.close()
        driver.switch_to.window(subscriber_tab)
        publish("C")
        driver.switch_to.window(tabs["C"])
        feeds["C"] = driver.execute_script("return window.state.joined;")
        checks["c_added_and_decoded"] = wait_until(lambda: decoding(feeds["C"]), 20)
        result["sections_with_b_and_c"] = feed_mids()
        checks["b_still_decoding"] = decoding(feeds["B"], more_than=checks["b_frames_after_unsubscribe"])
        mids = feed_mids()
        b_mid, c_mid = mids.get(feeds["B"]), mids.get(feeds["C"])

        def growth(seconds=2):
            """Frames each section decoded in `seconds`."""
            before = inbound(driver, subscriber_tab)
            time.sleep(seconds)
            after = inbound(driver, subscriber_tab)
            return {name: after.get(mid, {}).get("frames", 0) - before.get(mid, {}).get("frames", 0)
                    for name, mid in (("b", b_mid), ("c", c_mid))}

        def request(body, answer, settle=0.3):
            """Sends `body` on the subscriber's handle and waits for its reply event (the
            one with `answer` set), then `settle` seconds (frames already in the
            browser's buffers), so that what is measured next follows it."""
            count = f"return window.state.events.filter((e) => e.{answer}).length;"
            driver.switch_to.window(subscriber_tab)
            before = driver.execute_script(count)
            driver.execute_script("window.subscriberSend(arguments[0]);", body)
            if not wait_until(lambda: driver.execute_script(count) > before, 10):
                fail(f"no reply to {body}")
            time.sleep(settle)

        # `configure` one stream off: it stops, the other goes on; on again.
        request({"request": "configure", "streams": [{"mid": c_mid, "send": False}]}, "configured", settle=1)
        checks["configure_send_false"] = growth()
        request({"request": "configure", "streams": [{"mid": c_mid, "send": True}]}, "configured")
        # `pause` stops everything; `start` resumes it, each video at its next key frame.
        request({"request": "pause"}, "paused", settle=1)
        checks["paused"] = growth()
        request({"request": "start"}, "started", settle=0)
        started = time.monotonic()
        resumed = wait_until(lambda: all(v > 0 for v in growth(0.3).values()), 5, every=0)
        checks["resumed_after_seconds"] = round(time.monotonic() - started, 2) if resumed else None
        checks["started"] = growth()
        # `switch`: B's section now shows C's camera, without renegotiation.
        call(driver, subscriber_tab,
             f"window.subscriberSend({{request: 'switch', streams: [{{feed: {feeds['C']}, mid: '1', sub_mid: '{b_mid}'}}]}});")
        time.sleep(1)
        checks["switched"] = growth()
        rooms = json.loads(server.get("/admin/rooms"))
        consumers = [c for room in rooms for p in room.get("participants", []) for c in p.get("consumers", [])]
        result["consumers"] = [{"mid": c.get("mid"), "track": c.get("track"), "packets": c.get("packets")}
                               for c in consumers]
        # How often the server asked each publisher for a key frame (PLI), for a failure's reader.
        result["key_frame_requests"] = {
            f"{p['id']}:{producer['track'].get('mid')}": producer.get("keyFrameRequests")
            for room in rooms for p in room.get("participants", []) for producer in p.get("producers", [])
            if producer["track"].get("kind") == "video"}
        checks["b_section_takes_c"] = any(c.get("mid") == b_mid and c.get("track") == f"{feeds['C']}:1"
                                          for c in consumers)
        driver.switch_to.window(subscriber_tab)
        events = driver.execute_script("return window.state.events.map((e) => e.kind);")
        checks["switched_event"] = "subscriber:switched" in events
        result["page_errors"] = page_state(driver, subscriber_tab)["errors"]
    ok = (checks["a_decoded"] and checks["b_added_and_decoded"] and checks["a_unsubscribed"]
          and checks["a_frames_after_unsubscribe"] == 0 and checks["b_frames_after_unsubscribe"] > 20
          and checks["c_added_and_decoded"] and checks["b_still_decoding"] and not result["page_errors"]
          and checks["configure_send_false"]["c"] <= 3 and checks["configure_send_false"]["b"] > 20
          and all(v <= 3 for v in checks["paused"].values()) and checks["resumed_after_seconds"] is not None
          and all(v > 20 for v in checks["started"].values())
          and all(v > 20 for v in checks["switched"].values()) and checks["b_section_takes_c"] and checks["switched_event"]
          and result.get("server_exit") == 0)
    print(json.dumps(result, indent=2))
    sys.exit(0 if ok else 1)


def path_loss():
    """The subscriber's path dies (everything to and from its port dropped on lo, as when
    a network goes): the server finds the connection silent and offers an ICE restart
    (an `updated` event with `restart`); janus.js answers it, Chromium gathers anew, and
    the video comes back over the new pair."""
    with swiftsfu_call(SERVER, PORT, ROOM, result, fail) as (server, driver):
        subscriber_tab = driver.window_handles[1]
        first = page_state(driver, subscriber_tab)
        camera_mid = next((s["mid"] for s in first["subscribed"] if s.get("type") == "video"), None)
        driver.switch_to.window(subscriber_tab)
        port = driver.execute_async_script("window.selectedLocalPort('subscriber').then(arguments[arguments.length - 1]);")
        result["blocked_port"] = port
        before = transport(driver, subscriber_tab, "subscriber")
        tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000000")
        for band in ("1:10", "1:20"):
            tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
        # A bucket smaller than any datagram: everything sent to it is dropped.
        tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "tbf", "rate", "8bit", "burst", "20",
           "limit", "1")
        for direction in ("sport", "dport"):
            tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
               "protocol", "17", "0xff", "match", "ip", direction, str(port), "0xffff", "flowid", "1:20")
        blocked_at = time.monotonic()
        try:
            stalled = inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0)

            def resumed():
                return inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0) > stalled + 30

            checks["video_resumed"] = bool(wait_until(resumed, 25, every=0.25))
            result["resumed_after_seconds"] = round(time.monotonic() - blocked_at, 2)
        finally:
            tc("qdisc", "del", "dev", "lo", "root")
        after = transport(driver, subscriber_tab, "subscriber")
        result["transport_before"], result["transport_after"] = before, after
        checks["new_pair_selected"] = after.get("ufrag") != before.get("ufrag") and after.get("connection") == "connected"
        driver.switch_to.window(subscriber_tab)
        events = driver.execute_script("return window.state.events.map((e) => e.kind);")
        checks["server_offered_restart"] = "subscriber:updated" in events
        result["page_errors"] = page_state(driver, subscriber_tab)["errors"]
    ok = (checks["video_resumed"] and checks["new_pair_selected"] and checks["server_offered_restart"]
          and not result["page_errors"] and result.get("server_exit") == 0)
    print(json.dumps(result, indent=2))
    sys.exit(0 if ok else 1)


def address_change():
    """The subscriber's address changes mid-call (it is in a second network namespace):
    the server's silence watchdog offers an ICE restart, and the video comes back over
    the new address."""
    url = f"ws://127.0.0.1:{PORT + 100}/"
    network = SecondNetwork([PORT + 100, PORT + 300])
    publisher = subscriber = None
    try:
        with janus_page_and_server(SERVER, PORT, result, ["--media-address", "127.0.0.1", "--media-address",
                                                          SERVER_ADDRESS]):
            created = janus_request(url, {"request": "create", "room": ROOM, "publishers": 6, "videocodec": "vp8"})
            if created.get("plugindata", {}).get("data", {}).get("videoroom") != "created":
                fail(f"create: {created}")
            base = f"http://127.0.0.1:{PORT + 300}/index.html?room={ROOM}&server={url}"
            publisher = chromium()
            publisher.get(f"{base}&role=publisher&display=publisher")
            subscriber = network.browser()
            subscriber.get(f"{base}&role=subscriber&display=subscriber")
            tab = subscriber.current_window_handle

            def frames():
                return (subscriber.execute_async_script(STATS, "subscriber") or {}).get("frames", 0)

            if not wait_until(lambda: frames() > 30, 30):
                fail("the subscriber in the second network decoded nothing")

            def local():
                return subscriber.execute_async_script(
                    "window.selectedLocal('subscriber').then(arguments[arguments.length - 1]);")

            result["selected_before"] = local()
            before = transport(subscriber, tab, "subscriber")
            network.change_address()
            changed_at = time.monotonic()
            stalled = frames()
            checks["video_resumed"] = bool(wait_until(lambda: frames() > stalled + 30, 25, every=0.25))
            result["resumed_after_seconds"] = round(time.monotonic() - changed_at, 2)
            result["selected_after"] = local()
            after = transport(subscriber, tab, "subscriber")
            result["transport_before"], result["transport_after"] = before, after
            checks["new_address_selected"] = (result["selected_after"] or {}).get("address") == network.address
            checks["new_pair_selected"] = (after.get("ufrag") != before.get("ufrag")
                                           and after.get("connection") == "connected")
            events = subscriber.execute_script("return window.state.events.map((e) => e.kind);")
            checks["server_offered_restart"] = "subscriber:updated" in events
            result["page_errors"] = page_state(subscriber, tab)["errors"]
    finally:
        for driver in (publisher, subscriber):
            if driver is not None and driver is not network.driver:
                driver.quit()
        network.close()
    ok = (checks["video_resumed"] and result["resumed_after_seconds"] <= 15 and checks["new_address_selected"]
          and checks["new_pair_selected"] and checks["server_offered_restart"] and not result["page_errors"]
          and result.get("server_exit") == 0)
    print(json.dumps(result, indent=2))
    sys.exit(0 if ok else 1)


if sys.argv[3:4] == ["addresschange"]:
    address_change()
if sys.argv[3:4] == ["multistream"]:
    multistream()
if sys.argv[3:4] == ["pathloss"]:
    path_loss()

with swiftsfu_call(SERVER, PORT, ROOM, result, fail) as (server, driver):
    publisher_tab, subscriber_tab = driver.window_handles[0], driver.window_handles[1]
    first = page_state(driver, subscriber_tab)
    camera_mid = next((s["mid"] for s in first["subscribed"] if s.get("type") == "video"), None)
    if camera_mid is None:
        fail(f"no video in the subscription: {first['subscribed']}")
    call(driver, subscriber_tab, "window.watchFrames();")
    time.sleep(2)

    # The screen share comes.
    started = time.monotonic()
    call(driver, publisher_tab, "window.addScreen();")

    def screen_decodes():
        streams = inbound(driver, subscriber_tab)
        return any(mid != camera_mid and s["frames"] > 10 for mid, s in streams.items())

    checks["screen_decoded"] = wait_until(screen_decodes, 15)
    result["screen_after_seconds"] = round(time.monotonic() - started, 2)
    streams = inbound(driver, subscriber_tab)
    result["with_screen"] = streams
    screen_mid = next((mid for mid in streams if mid != camera_mid), None)
    checks["screen_size"] = [streams.get(screen_mid, {}).get("width"), streams.get(screen_mid, {}).get("height")]
    time.sleep(3)

    # The screen share goes.
    call(driver, publisher_tab, "window.removeScreen();")

    def screen_gone():
        subscribed = page_state(driver, subscriber_tab)["subscribed"]
        return len([s for s in subscribed if s.get("type") == "video"]) == 1

    checks["screen_section_stopped"] = wait_until(screen_gone, 10)
    before = inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0)
    time.sleep(3)
    after = inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0)
    checks["camera_frames_after_removal"] = after - before
    state = page_state(driver, subscriber_tab)
    checks["camera_longest_gap_ms_screen_share"] = round(state["gaps"].get(camera_mid, 0))

    # ICE restarts, the publisher's and then the subscriber's.
    call(driver, subscriber_tab, "window.watchFrames();")
    time.sleep(1)
    ufrags = page_state(driver, publisher_tab)
    result["publisher_transport_before"] = transport(driver, publisher_tab, "publisher")
    call(driver, publisher_tab, "window.restartPublisherICE();")
    checks["publisher_ice_restarted"] = wait_until(
        lambda: page_state(driver, publisher_tab)["publisherUfrag"] not in (None, ufrags["publisherUfrag"]), 10)
    time.sleep(3)
    result["publisher_transport_after"] = transport(driver, publisher_tab, "publisher")
    ufrags = page_state(driver, subscriber_tab)
    result["subscriber_transport_before"] = transport(driver, subscriber_tab, "subscriber")
    call(driver, subscriber_tab, "window.restartSubscriberICE();")
    checks["subscriber_ice_restarted"] = wait_until(
        lambda: page_state(driver, subscriber_tab)["subscriberUfrag"] not in (None, ufrags["subscriberUfrag"]), 10)
    before = inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0)
    time.sleep(3)
    after = inbound(driver, subscriber_tab).get(camera_mid, {}).get("frames", 0)
    checks["camera_frames_after_restarts"] = after - before
    result["subscriber_transport_after"] = transport(driver, subscriber_tab, "subscriber")
    state = page_state(driver, subscriber_tab)
    checks["camera_longest_gap_ms_ice_restarts"] = round(state["gaps"].get(camera_mid, 0))
    for role in ("publisher", "subscriber"):
        old, new = result[f"{role}_transport_before"], result[f"{role}_transport_after"]
        # Chromium selected a pair of the restarted session, and it is connected.
        checks[f"{role}_new_pair_selected"] = (
            new.get("changes", 0) > old.get("changes", 0) and new.get("ufrag") != old.get("ufrag")
            and new.get("connection") == "connected")
    errors = state["errors"] + page_state(driver, publisher_tab)["errors"]
    result["page_errors"] = errors

ok = (
    checks["screen_decoded"] and checks["screen_size"] == [640, 360] and checks["screen_section_stopped"]
    and checks["camera_frames_after_removal"] > 30 and checks["camera_longest_gap_ms_screen_share"] < 500
    and checks["publisher_ice_restarted"] and checks["subscriber_ice_restarted"]
    and checks["publisher_new_pair_selected"] and checks["subscriber_new_pair_selected"]
    and checks["camera_frames_after_restarts"] > 30 and checks["camera_longest_gap_ms_ice_restarts"] < 2000
    and not result["page_errors"] and result.get("server_exit") == 0
)
print(json.dumps(result, indent=2))
sys.exit(0 if ok else 1)
