"""A group call through the demo page in headless Chromium, as people use it.

Starts the `sfu` server given on the command line (run this inside a network namespace
that has only `lo`), opens N participants of one room in Chromium tabs with fake camera
and microphone, and checks that every participant decodes video and receives audio
from every other one, and keeps doing so. Then one participant leaves and the others
must see it go. The server is stopped with SIGTERM and must exit cleanly.

Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import json
import signal
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

SERVER, PORT = sys.argv[1], int(sys.argv[2])
PARTICIPANTS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
BASE = f"http://127.0.0.1:{PORT}"
ROOM = "browser-test"
result = {"participants": PARTICIPANTS, "checks": {}}


def fail(reason):
    result["failure"] = reason
    try:
        result["rooms"] = json.loads(http("/admin/rooms"))
        result["drops"] = [line for line in http("/metrics").splitlines() if line.startswith("sfu_dropped")]
    except OSError:
        pass
    print(json.dumps(result))
    sys.exit(1)


def http(path):
    with urllib.request.urlopen(BASE + path, timeout=5) as response:
        return response.read().decode()


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_until(predicate, limit, every=0.25):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


server = subprocess.Popen([SERVER, "--port", str(PORT), "--workers", "1", "--log-level", "notice"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
driver = None
try:
    def healthy():
        try:
            return json.loads(http("/health"))["status"] == "healthy"
        except OSError:
            return False

    if not wait_until(healthy, 20):
        fail("the server did not answer /health")

    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows", "--window-size=800,600"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(10)

    tabs = []
    for index in range(PARTICIPANTS):
        if index > 0:
            driver.switch_to.new_window("tab")
        driver.get(f"{BASE}/?room={ROOM}&name=P{index}&autojoin=1")
        tabs.append(driver.current_window_handle)

    def stats(tab):
        driver.switch_to.window(tab)
        return driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "Promise.resolve(window.sfuDemo ? window.sfuDemo.stats() : {})"
            ".then((s) => done({stats: s, ids: window.sfuDemo ? window.sfuDemo.participantIds() : [],"
            " me: window.sfuDemo && window.sfuDemo.client ? window.sfuDemo.client.participantId : null,"
            " status: document.getElementById('status').textContent}))"
            ".catch((e) => done({error: String(e)}));")

    def everyone_receives(minimum_frames):
        snapshot = [stats(tab) for tab in tabs]
        for view in snapshot:
            others = [other for other in view.get("ids", [])]
            if len(others) != PARTICIPANTS - 1:
                return None
            for other in others:
                media = view["stats"].get(other, {})
                if media.get("video", {}).get("framesDecoded", 0) < minimum_frames:
                    return None
                if media.get("audio", {}).get("totalSamplesReceived", 0) <= 0:
                    return None
        return snapshot

    first = wait_until(lambda: everyone_receives(1), 45, every=1)
    if not first:
        fail("not every participant decoded video and audio from every other: "
             + json.dumps([stats(tab) for tab in tabs]))
    time.sleep(4)
    second = everyone_receives(1)
    if not second:
        fail("media stopped: " + json.dumps([stats(tab) for tab in tabs]))
    growth = []
    for before, after in zip(first, second):
        for other in before["ids"]:
            growth.append(after["stats"][other]["video"]["framesDecoded"]
                          - before["stats"][other]["video"]["framesDecoded"])
    result["checks"]["frames_decoded_growth_min"] = min(growth)
    result["checks"]["frames_decoded_final"] = [
        {other: view["stats"][other]["video"]["framesDecoded"] for other in view["ids"]} for view in second]
    result["checks"]["audio_samples_final"] = [
        {other: view["stats"][other]["audio"]["totalSamplesReceived"] for other in view["ids"]} for view in second]
    if min(growth) < 30:
        fail(f"frames decoded grew by only {min(growth)} in 4 s")

    metrics = http("/metrics")
    result["checks"]["metrics_during_call"] = {
        name: metric(metrics, name) for name in
        ["sfu_rooms", "sfu_participants", "sfu_producers", "sfu_consumers", "sfu_transports_connected"]}

    # The last participant leaves; the others see it go.
    leaver = second[-1]["me"]
    driver.switch_to.window(tabs[-1])
    driver.execute_script("document.getElementById('leave').click()")

    def left():
        views = [stats(tab) for tab in tabs[:-1]]
        return all(leaver not in view.get("ids", []) and len(view.get("ids", [])) == PARTICIPANTS - 2
                   for view in views)

    if not wait_until(left, 10):
        fail("the others did not see the participant leave")
    result["checks"]["leave_seen"] = True

    def participants_now():
        return metric(http("/metrics"), "sfu_participants") == PARTICIPANTS - 1

    if not wait_until(participants_now, 10):
        fail("the server still counts the participant who left")

    for tab in tabs[:-1]:
        driver.switch_to.window(tab)
        driver.execute_script("document.getElementById('leave').click()")
    emptied = wait_until(lambda: metric(http("/metrics"), "sfu_rooms") == 0, 10)
    result["checks"]["room_closed_when_empty"] = bool(emptied)
    if not emptied:
        fail("the room was not closed when everyone left")
finally:
    if driver is not None:
        driver.quit()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        code = "killed"
    result["server_exit"] = code
    result["server_log_tail"] = server.stdout.read()[-2000:]

if result["server_exit"] != 0:
    fail("the server did not exit cleanly on SIGTERM")
print(json.dumps(result))
