"""Two participants through the demo page in headless Chromium, as people use it: Ann
shares a screen (a moving canvas, `fakescreen=1`: a headless browser has no screen) and
Bob sees it in a second tile of Ann's, decoding it, with the tile's overlay telling what
he receives. A screenshot of Bob's page is kept (the first argument after the port, a
PNG path). Bob stops receiving the screen (the client module's `unsubscribe`): its tile
goes and its section stops while the camera goes on; he takes it again (`subscribe`
naming it) and decodes it in a new tile; he pauses that section (`pause`: it stops, the
camera goes on) and resumes it. Then both restart ICE from the page
(`restartIce()`, as after a network change): new ICE credentials on both connections,
and Bob's video of Ann goes on within 2 s. Ann stops sharing: Bob's screen tile goes,
and her camera goes on.

usage: demo_screen.py SFU PORT SCREENSHOT.png
Run inside a network namespace that has only `lo`. Prints one JSON object with what it
measured; exits non-zero on a failed check.
"""

import json
import sys
import time

from harness import Server, chromium, wait_until

SERVER, PORT, SCREENSHOT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ROOM = "screen-share"
result = {"checks": {}}
checks = result["checks"]


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result, indent=2))
    sys.exit(1)


def view(driver, tab):
    """The page's tiles and its received video by mid, with the tile each mid shows in."""
    driver.switch_to.window(tab)
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const demo = window.sfuDemo;"
        "if (!demo || !demo.client) { done({tiles: [], video: {}}); return; }"
        "Promise.resolve(demo.videoByMid()).then((video) => done({"
        "  tiles: demo.tileIds(),"
        "  mids: Object.fromEntries(demo.tileIds().map((id) => [id, demo.tiles.get(id).mid])),"
        "  overlays: Object.fromEntries(demo.tileIds().map((id) => [id, demo.tiles.get(id).stats.textContent])),"
        "  video}), (e) => done({error: String(e)}));")


def frames(state, tile):
    mid = state.get("mids", {}).get(tile)
    return state.get("video", {}).get(mid, {}).get("framesDecoded", 0) if mid is not None else 0


server = Server(SERVER, PORT)
driver = None
try:
    driver = chromium()
    driver.set_window_size(1280, 900)
    page = f"{server.base}/?room={ROOM}&autojoin=1&fakescreen=1"
    driver.get(page + "&name=Ann")
    ann = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(page + "&name=Bob")
    bob = driver.current_window_handle

    def ann_id():
        driver.switch_to.window(ann)
        return driver.execute_script("return window.sfuDemo.client && window.sfuDemo.client.participantId;")

    if not wait_until(lambda: ann_id() and frames(view(driver, bob), ann_id()) > 10, 30, every=0.5):
        fail("Bob does not decode Ann's camera: " + json.dumps(view(driver, bob)))
    ann_tile = ann_id()

    driver.switch_to.window(ann)
    driver.execute_script("window.sfuDemo.shareScreen();")

    def screen_tile(state):
        return next((t for t in state.get("tiles", []) if t.startswith("screen:")), None)

    def screen_decodes():
        state = view(driver, bob)
        tile = screen_tile(state)
        return tile is not None and frames(state, tile) > 15 and state["overlays"].get(tile)

    checks["screen_tile_decodes"] = bool(wait_until(screen_decodes, 20, every=0.5))
    state = view(driver, bob)
    tile = screen_tile(state)
    result["bob_with_screen"] = state
    screen = state.get("video", {}).get(state.get("mids", {}).get(tile), {})
    checks["screen_size"] = [screen.get("frameWidth"), screen.get("frameHeight")]
    checks["overlay"] = state.get("overlays", {}).get(tile, "")
    checks["camera_overlay"] = state.get("overlays", {}).get(ann_tile, "")
    time.sleep(2)
    driver.switch_to.window(bob)
    driver.save_screenshot(SCREENSHOT)
    checks["screenshot_saved"] = SCREENSHOT

    # Bob stops receiving the screen, then takes it again.
    screen_track, screen_mid = tile.split(":", 1)[1], state["mids"][tile]

    def client_call(tab, call, *args):
        driver.switch_to.window(tab)
        outcome = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve(window.sfuDemo.client.{call}).then(() => done(true), (e) => done(String(e)));", *args)
        if outcome is not True:
            result.setdefault("client_errors", []).append(f"{call}: {outcome}")
        return outcome is True

    def mid_frames(mid):
        return view(driver, bob).get("video", {}).get(mid, {}).get("framesDecoded", 0)

    checks["unsubscribe"] = client_call(bob, "unsubscribe([arguments[0]])", screen_track)
    checks["screen_tile_gone_after_unsubscribe"] = bool(
        wait_until(lambda: screen_tile(view(driver, bob)) is None, 5, every=0.25))
    screen_before, camera_before = mid_frames(screen_mid), frames(view(driver, bob), ann_tile)
    time.sleep(1.5)
    checks["screen_frames_while_unsubscribed"] = mid_frames(screen_mid) - screen_before
    checks["camera_frames_while_unsubscribed"] = frames(view(driver, bob), ann_tile) - camera_before
    checks["subscribe_again"] = client_call(bob, "subscribe([arguments[0]])", screen_track)
    checks["screen_decodes_after_subscribing_again"] = bool(wait_until(screen_decodes, 10, every=0.5))
    checks["screen_mids"] = [screen_mid, view(driver, bob).get("mids", {}).get(tile)]

    # Bob pauses the screen's section (no renegotiation) and resumes it.
    new_mid = checks["screen_mids"][1]
    checks["pause"] = client_call(bob, "pause([arguments[0]])", new_mid)
    time.sleep(0.5)
    screen_before, camera_before = mid_frames(new_mid), frames(view(driver, bob), ann_tile)
    time.sleep(1.5)
    checks["screen_frames_while_paused"] = mid_frames(new_mid) - screen_before
    checks["camera_frames_while_paused"] = frames(view(driver, bob), ann_tile) - camera_before
    checks["resume"] = client_call(bob, "resume([arguments[0]])", new_mid)
    paused_at = mid_frames(new_mid)
    checks["screen_resumes"] = bool(wait_until(lambda: mid_frames(new_mid) > paused_at + 10, 5, every=0.25))

    # ICE restarts from both pages, as after a change of network: new credentials on
    # both connections, and the camera goes on.
    def ufrags():
        driver.switch_to.window(ann)
        publishing = driver.execute_script(
            "return window.sfuDemo.client.publisher.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];")
        driver.switch_to.window(bob)
        receiving = driver.execute_script(
            "return window.sfuDemo.client.subscriber.remoteDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];")
        return publishing, receiving

    ufrags_before = ufrags()
    before = frames(view(driver, bob), ann_tile)
    restarted = time.monotonic()
    for tab in (ann, bob):
        driver.switch_to.window(tab)
        driver.execute_script("window.sfuDemo.restartIce();")
    resumed = wait_until(lambda: frames(view(driver, bob), ann_tile) > before + 5, 5, every=0.1)
    checks["camera_resumed_after_ice_restart_s"] = round(time.monotonic() - restarted, 2) if resumed else None
    checks["new_ice_credentials"] = bool(wait_until(
        lambda: all(a != b for a, b in zip(ufrags(), ufrags_before)), 5, every=0.25))
    time.sleep(1)
    driver.switch_to.window(bob)
    checks["receiving_connection_after_restart"] = driver.execute_script(
        "return window.sfuDemo.client.subscriber.connectionState;")

    # Ann stops sharing.
    driver.switch_to.window(ann)
    driver.execute_script("window.sfuDemo.shareScreen();")
    checks["screen_tile_removed"] = bool(wait_until(lambda: screen_tile(view(driver, bob)) is None, 10))
    before = frames(view(driver, bob), ann_tile)
    time.sleep(2)
    checks["camera_frames_after_stop"] = frames(view(driver, bob), ann_tile) - before
    logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
    result["page_errors"] = [entry["message"] for entry in logs if entry.get("level") == "SEVERE"][:10]
except Exception as error:
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    if driver is not None:
        driver.quit()
    result["server_exit"], log = server.stop()
    if result["server_exit"] != 0:
        result["server_log"] = log

ok = (
    "failure" not in result and checks.get("screen_tile_decodes") and checks.get("overlay")
    and "fps" in checks.get("overlay", "") and (checks.get("screen_size") or [0])[0] > 0
    and checks.get("unsubscribe") and checks.get("screen_tile_gone_after_unsubscribe")
    and checks.get("screen_frames_while_unsubscribed", 1) <= 0 and checks.get("camera_frames_while_unsubscribed", 0) > 5
    and checks.get("subscribe_again") and checks.get("screen_decodes_after_subscribing_again")
    and checks.get("pause") and checks.get("screen_frames_while_paused", 1) <= 0
    and checks.get("camera_frames_while_paused", 0) > 5 and checks.get("resume") and checks.get("screen_resumes")
    and (checks.get("camera_resumed_after_ice_restart_s") or 99) <= 2.0 and checks.get("new_ice_credentials")
    and checks.get("receiving_connection_after_restart") == "connected" and checks.get("screen_tile_removed")
    and checks.get("camera_frames_after_stop", 0) > 5 and result.get("server_exit") == 0
)
print(json.dumps(result, indent=2))
sys.exit(0 if ok else 1)
