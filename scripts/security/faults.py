"""Faults a server meets in production, in the middle of a call: its process stopped for
2 s (SIGSTOP, as a host under memory pressure or a debugger would), a full disk under its
log and its recordings, and its network link taken down for 2 s and brought back up.

Re-runs itself in a mount namespace of its own (a 1 MiB tmpfs holds the log and the
recordings), starts the `sfu` given on the command line there (run this inside a network
namespace that has only `lo`: the link taken down is that namespace's), and opens two
demo-page participants in headless Chromium. After each fault the call must resume by
itself (both participants decode 30 more frames) and the server must stay healthy; the
recordings that the full disk stopped must be counted as failed, and the server must
still exit cleanly.

Usage: faults.py SFU PORT. Prints one JSON object; exits non-zero on a failed check.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

if os.environ.get("SFU_FAULTS_NAMESPACE") != "1":
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable, *sys.argv],
               dict(os.environ, SFU_FAULTS_NAMESPACE="1"))

import websocket  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, open_demo_participants, wait_until  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
BASE = f"http://127.0.0.1:{PORT}"
ROOM = "faults"
result = {"checks": {}}
server = None
driver = None
disk = None


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


FRAMES = """
const done = arguments[arguments.length - 1];
const demo = window.sfuDemo;
Promise.resolve(demo ? demo.stats() : {}).then((received) => {
  const ids = demo ? demo.participantIds() : [];
  let frames = null;
  // Participants that publish video (the script's own control connection does not).
  for (const id of ids) {
    if (!received[id] || !received[id].video) continue;
    const decoded = received[id].video.framesDecoded || 0;
    frames = frames === null ? decoded : Math.min(frames, decoded);
  }
  done(frames);
}).catch(() => done(null));
"""


def frames(tab):
    driver.switch_to.window(tab)
    return driver.execute_async_script(FRAMES) or 0


def drops():
    return {name.split('"')[1]: value for name, value in server.metrics().items()
            if name.startswith("sfu_dropped_packets_total{")}


def dropped_since(before):
    return {reason: count - before.get(reason, 0) for reason, count in drops().items()
            if count - before.get(reason, 0) > 0}


def resumed(name, limit):
    """Seconds until every participant decoded 30 more frames, within `limit`; fails the
    run otherwise."""
    start = time.monotonic()
    before = [frames(tab) for tab in tabs]
    if not wait_until(lambda: all(frames(tab) - b >= 30 for tab, b in zip(tabs, before)), limit, every=0.5):
        fail(f"the call did not resume within {limit} s after {name}: {before} -> {[frames(t) for t in tabs]}")
    seconds = round(time.monotonic() - start, 1)
    health = json.loads(server.get("/health"))["status"]
    if health != "healthy":
        fail(f"the server was {health} after {name}")
    return seconds


try:
    disk = tempfile.mkdtemp(prefix="sfu-full-disk-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk], check=True)
    recordings = os.path.join(disk, "recordings")
    os.mkdir(recordings)
    try:
        server = Server(SERVER, PORT, "--recordings-root", recordings, "--log-level", "info",
                        log=os.path.join(disk, "sfu.log"))
    except RuntimeError as error:
        fail(str(error))
    driver = chromium()
    tabs = open_demo_participants(driver, BASE, ROOM, 2)
    if not wait_until(lambda: all(frames(tab) > 0 for tab in tabs), 45, every=1):
        fail("the participants did not decode each other's video")

    # The full disk: the room is recorded onto the 1 MiB disk that also holds the log.
    control = websocket.create_connection(f"ws://127.0.0.1:{PORT}/ws", timeout=5)
    control.send(json.dumps({"type": "join", "id": 1, "room": ROOM, "create": False}))
    control.send(json.dumps({"type": "record", "id": 2, "recording": True}))
    replies = {}
    while len(replies) < 2:
        message = json.loads(control.recv())
        if message.get("id") in (1, 2):
            replies[message["id"]] = message.get("type")
    if replies != {1: "joined", 2: "ack"}:
        fail(f"recording did not start: {replies}")
    full = wait_until(lambda: os.statvfs(disk).f_bavail == 0, 30, every=0.5)
    result["checks"]["disk_filled"] = bool(full)
    if not full:
        fail("the recordings did not fill the disk")
    time.sleep(2)
    result["checks"]["resumed_on_a_full_disk_s"] = resumed("the disk filled", 10)
    metrics = server.metrics()
    result["checks"]["recordings_failed"] = metrics.get("sfu_recordings_failed_total", 0)
    if result["checks"]["recordings_failed"] < 1:
        fail("the recordings the full disk stopped were not counted as failed")
    control.send(json.dumps({"type": "record", "id": 3, "recording": False}))
    control.close()

    # The process stopped for 2 s.
    before = drops()
    server.process.send_signal(signal.SIGSTOP)
    time.sleep(2)
    server.process.send_signal(signal.SIGCONT)
    result["checks"]["resumed_after_sigstop_s"] = resumed("SIGSTOP for 2 s", 15)
    result["checks"]["dropped_after_sigstop"] = dropped_since(before)

    # The link down for 2 s (the namespace's only one, `lo`), then up.
    before = drops()
    subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
    time.sleep(2)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    result["checks"]["resumed_after_link_down_s"] = resumed("the link was down for 2 s", 20)
    result["checks"]["dropped_while_link_down"] = dropped_since(before)

    driver.quit()
    driver = None
    code, tail = server.stop()
    server = None
    result["server_exit"] = code
    if code != 0:
        result["log_tail"] = tail[-800:]
        fail(f"the server exited with {code}")
    print(json.dumps(result))
finally:
    if driver:
        driver.quit()
    if server:
        server.stop()
    if disk:
        subprocess.run(["umount", disk], check=False)
        os.rmdir(disk)
