"""A call through the demo page between Firefox and Chromium, both headless with fake
camera and microphone: each decodes the other's video and receives its audio, keeps
doing so, and Chromium sees Firefox leave. The server must exit cleanly on SIGTERM.

usage: firefox_call.py SFU PORT
Run inside a network namespace that has only `lo`. Prints one JSON object with what it
measured; exits non-zero on a failed check.
"""

import json
import subprocess
import sys
import time

from harness import Firefox, Server, chromium, wait_until

SERVER, PORT = sys.argv[1], int(sys.argv[2])
ROOM = "firefox-test"
result = {"checks": {}}

# What a participant's page sees: decoded media by participant, and who is there.
VIEW = ("(window.sfuDemo && window.sfuDemo.client ? Promise.resolve(window.sfuDemo.stats()).then((s) => "
        "({stats: s, ids: window.sfuDemo.participantIds(), me: window.sfuDemo.client.participantId})) "
        ": {stats: {}, ids: []})")


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
    driver.get(page + "&name=Chromium")
    firefox.navigate(page + "&name=Firefox")

    def both():
        views = (chromium_view(driver), firefox.evaluate(VIEW))
        frames = [receives(view) for view in views]
        return (views, frames) if all(frames) else None

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
    if min(growth) < 30:
        raise RuntimeError(f"frames decoded grew by only {growth} in 4 s")

    firefox.evaluate("document.getElementById('leave').click()")
    if not wait_until(lambda: chromium_view(driver).get("ids") == [], 10):
        raise RuntimeError("Chromium did not see Firefox leave")
    result["checks"]["leave_seen"] = True
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
