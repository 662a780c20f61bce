"""A call through the demo page between Firefox and Chromium, both headless with fake
camera and microphone: each decodes the other's video and receives its audio, keeps
doing so, and Chromium sees Firefox leave. The server must exit cleanly on SIGTERM.

With CODEC (vp8, vp9, av1), both publish their video in that codec alone (the demo
page's `codec=`, through `setCodecPreferences`) in one encoding, and each must decode
the other's in that codec; the decoder each used is reported. With `h264`, Chromium
alone sends H.264 (Debian's Firefox has no H.264 without Cisco's OpenH264 plugin, which
it would download): Firefox must be told it cannot receive that track (`trackRefused`,
shown on Chromium's tile), and still hear Chromium and be seen by it.

With `screen`, once both decode each other, Firefox shares a screen (the demo page's
`fakescreen=1`: a moving canvas, on its live publishing connection) and Chromium must
decode it in a tile of its own; Firefox restarts ICE on both its connections and each
side's video goes on; Firefox stops sharing and Chromium's screen tile goes.

usage: firefox_call.py SFU PORT [CODEC|screen]
Run inside a network namespace that has only `lo`. Prints one JSON object with what it
measured; exits non-zero on a failed check.
"""

import json
import subprocess
import sys
import time

from harness import Firefox, Server, chromium, wait_until

SERVER, PORT = sys.argv[1], int(sys.argv[2])
MODE = sys.argv[3] if len(sys.argv) > 3 else None
SCREEN = MODE == "screen"
CODEC = None if SCREEN else MODE
ROOM = "firefox-test"
result = {"checks": {}, "codec": CODEC}

# What a participant's page sees: decoded media by participant, and who is there.
VIEW = ("(window.sfuDemo && window.sfuDemo.client ? Promise.all([window.sfuDemo.stats(), window.sfuDemo.videoByMid()])"
        ".then(([s, v]) => ({stats: s, video: v, ids: window.sfuDemo.participantIds(),"
        " me: window.sfuDemo.client.participantId})) : {stats: {}, video: {}, ids: []})")


def chromium_view(driver):
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"Promise.resolve({VIEW}).then(done, (e) => done({{error: String(e)}}));")


def receives(view, minimum_frames=1):
    """The one other participant's video frames decoded, when its audio flows too."""
    if len(view.get("ids", [])) != 1:
        return None
    media = view["stats"].get(view["ids"][0], {})
    if media.get("audio", {}).get("packetsReceived", 0) <= 0:
        return None
    frames = media.get("video", {}).get("framesDecoded", 0)
    return frames if frames >= minimum_frames else None


# Firefox gathers candidates only on the interface of its default route (unless the page
# captures real devices): a default route over `lo`, in this namespace only, gives it
# 127.0.0.1. Nothing can leave: the namespace has no other interface.
subprocess.run(["ip", "route", "add", "default", "dev", "lo", "src", "127.0.0.1"], check=False, capture_output=True)

server = None
driver = None
firefox = None
try:
    server = Server(SERVER, PORT)
    driver = chromium()
    firefox = Firefox()
    result["firefox"] = firefox.evaluate("navigator.userAgent")
    page = f"{server.base}/?room={ROOM}&autojoin=1"
    forced = f"&codec={CODEC}&simulcast=0" if CODEC else ""
    driver.get(page + forced + "&name=Chromium")
    firefox.navigate(page + ("" if CODEC == "h264" else forced) + ("&fakescreen=1" if SCREEN else "") + "&name=Firefox")

    def both():
        views = (chromium_view(driver), firefox.evaluate(VIEW))
        frames = [receives(view) for view in views]
        return (views, frames) if all(frames) else None

    if CODEC == "h264":
        # Firefox hears Chromium, and is told why it does not see it.
        def refused():
            tracks = firefox.evaluate("window.sfuDemo && window.sfuDemo.refusedTracks ? window.sfuDemo.refusedTracks() : []")
            heard = firefox.evaluate(VIEW)
            ids = heard.get("ids", [])
            audio = heard.get("stats", {}).get(ids[0], {}).get("audio", {}) if ids else {}
            return tracks if tracks and audio.get("packetsReceived", 0) > 0 else None

        tracks = wait_until(refused, 45, every=1)
        if not tracks:
            raise RuntimeError("Firefox was not told it cannot receive H.264: " + json.dumps(firefox.evaluate(VIEW)))
        result["checks"]["firefox_refused"] = [t.get("codec") for t in tracks]
        result["checks"]["firefox_tile_says"] = firefox.evaluate(
            "[...window.sfuDemo.tiles.values()].map((t) => t.stats.textContent).filter((t) => t)")
        if not wait_until(lambda: receives(chromium_view(driver), 30), 20, every=1):
            raise RuntimeError("Chromium does not decode Firefox: " + json.dumps(chromium_view(driver)))
        result["checks"]["chromium_decodes_firefox"] = receives(chromium_view(driver))
        raise SystemExit

    first = wait_until(both, 45, every=1)
    if not first:
        raise RuntimeError("the two browsers did not both decode each other: "
                           + json.dumps([chromium_view(driver), firefox.evaluate(VIEW)]))
    time.sleep(4)
    second = both()
    if not second:
        raise RuntimeError("media stopped: " + json.dumps([chromium_view(driver), firefox.evaluate(VIEW)]))
    growth = [after - before for before, after in zip(first[1], second[1])]
    result["checks"]["frames_decoded_growth"] = {"chromium": growth[0], "firefox": growth[1]}
    # What each decoded, in which codec and with which decoder.
    for name, state in zip(("chromium", "firefox"), second[0]):
        videos = list(state.get("video", {}).values())
        result["checks"][f"{name}_decodes"] = [
            {"codec": v.get("codec"), "decoder": v.get("decoderImplementation"), "frames": v.get("framesDecoded"),
             "size": [v.get("frameWidth"), v.get("frameHeight")]} for v in videos]
        if CODEC and not any((v.get("codec") or "").lower() == f"video/{CODEC}" for v in videos):
            raise RuntimeError(f"{name} does not receive {CODEC}: {videos}")
    if min(growth) < 30:
        raise RuntimeError(f"frames decoded grew by only {growth} in 4 s")

    if SCREEN:
        # Firefox shares a screen: Chromium decodes it in a tile of its own.
        firefox.evaluate("window.sfuDemo.shareScreen()")

        def screen_frames():
            state = chromium_view(driver)
            tile = next((t for t in driver.execute_script("return window.sfuDemo.tileIds();") if t.startswith("screen:")),
                        None)
            mid = driver.execute_script("return window.sfuDemo.tiles.get(arguments[0]).mid;", tile) if tile else None
            return state.get("video", {}).get(mid, {}).get("framesDecoded", 0) if mid is not None else 0

        result["checks"]["chromium_decodes_firefox_screen"] = bool(wait_until(lambda: screen_frames() > 15, 20))
        # Firefox restarts ICE on both its connections; both directions go on.
        before = both()
        firefox.evaluate("window.sfuDemo.restartIce()")
        time.sleep(3)
        after = both()
        result["checks"]["frames_after_firefox_ice_restart"] = (
            [a - b for b, a in zip(before[1], after[1])] if before and after else None)
        firefox.evaluate("window.sfuDemo.shareScreen()")
        result["checks"]["screen_tile_removed"] = bool(wait_until(
            lambda: not any(t.startswith("screen:") for t in driver.execute_script("return window.sfuDemo.tileIds();")),
            10))
        growth_after = result["checks"]["frames_after_firefox_ice_restart"] or [0, 0]
        if not (result["checks"]["chromium_decodes_firefox_screen"] and min(growth_after) >= 30
                and result["checks"]["screen_tile_removed"]):
            raise RuntimeError(f"screen share or ICE restart from Firefox: {result['checks']}")

    firefox.evaluate("document.getElementById('leave').click()")
    if not wait_until(lambda: chromium_view(driver).get("ids") == [], 10):
        raise RuntimeError("Chromium did not see Firefox leave")
    result["checks"]["leave_seen"] = True
except SystemExit:
    pass
except Exception as error:
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    if firefox is not None:
        firefox.close()
    if driver is not None:
        driver.quit()
    if server is not None:
        result["server_exit"], result["server_log_tail"] = server.stop()

print(json.dumps(result))
sys.exit(1 if "failure" in result or result.get("server_exit") != 0 else 0)
