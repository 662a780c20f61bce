"""A graceful drain: a call goes on through SIGTERM until it ends.

Starts the `sfu` server given on the command line with `--drain-timeout 30` (run this
inside a network namespace that has only `lo`). aiortc (an independent WebRTC stack)
publishes audio and VP8 through the native protocol, and a second aiortc client
subscribes. Then the server gets SIGTERM. While the call goes on: `/health` answers 503
with `status: draining`, a third client's `join` is refused with `draining`, the
subscriber keeps decoding video, and the process lives on. Then both leave: the server
exits 0 within a few seconds.

usage: aiortc_drain.py SFU PORT
Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from harness import Server  # noqa: E402
sys.path.insert(0, os.path.dirname(__file__))
from native_signaling import Signaling  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
ROOM = "drain"
result = {"checks": {}}


def health():
    """`/health`'s status code and body."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


async def call():
    loop = asyncio.get_running_loop()
    publisher = Signaling(loop, PORT)
    await publisher.request({"type": "join", "room": ROOM, "displayName": "publisher"})
    publishing = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    publishing.addTransceiver(AudioStreamTrack(), direction="sendonly")
    publishing.addTransceiver(VideoStreamTrack(), direction="sendonly")
    await publishing.setLocalDescription(await publishing.createOffer())
    reply = await publisher.request({"type": "publish", "sdp": publishing.localDescription.sdp})
    await publishing.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    subscriber = Signaling(loop, PORT)
    joined = await subscriber.request({"type": "join", "room": ROOM, "displayName": "subscriber"})
    if len(joined["tracks"]) < 2:
        await subscriber.event("trackPublished")
    receiving = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames = {"video": 0}

    @receiving.on("track")
    def on_track(track):
        async def consume():
            try:
                while True:
                    await track.recv()
                    if track.kind == "video":
                        frames["video"] += 1
            except MediaStreamError:
                pass

        asyncio.ensure_future(consume())

    offer = await subscriber.request({"type": "subscribe"})
    await receiving.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
    await receiving.setLocalDescription(await receiving.createAnswer())
    await subscriber.request({"type": "answer", "sdp": receiving.localDescription.sdp})
    async with asyncio.timeout(20):
        while frames["video"] < 30:
            await asyncio.sleep(0.1)
    checks = result["checks"]
    checks["health_before"] = health()[0]

    server.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(1)
    status, body = health()
    checks["health_draining"] = [status, body.get("status")]
    latecomer = Signaling(loop, PORT)
    try:
        await latecomer.request({"type": "join", "room": ROOM, "displayName": "late"})
        checks["late_join"] = "joined"
    except RuntimeError as error:
        checks["late_join"] = str(error)
    latecomer.socket.close()
    before = frames["video"]
    await asyncio.sleep(3)
    checks["frames_while_draining"] = frames["video"] - before
    checks["alive_while_draining"] = server.process.poll() is None

    await subscriber.request({"type": "leave"})
    await publisher.request({"type": "leave"})
    left = time.monotonic()
    await publishing.close()
    await receiving.close()
    publisher.socket.close()
    subscriber.socket.close()
    try:
        code = await asyncio.to_thread(server.process.wait, 15)
    except subprocess.TimeoutExpired:
        code = None
    checks["exit_after_call_seconds"] = round(time.monotonic() - left, 2)
    result["server_exit"] = code


# aioice gathers no candidate on 127.0.0.1; it does on another loopback address.
subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=False, capture_output=True)
server = None
try:
    server = Server(SERVER, PORT, "--drain-timeout", "30")
    asyncio.run(asyncio.wait_for(call(), 60))
except Exception as error:  # noqa: BLE001 — reported, then the checks fail
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    if server is not None and server.process.poll() is None:
        result["server_exit"], log = server.stop()
        result["server_log_tail"] = log[-2000:]
checks = result["checks"]
ok = (not result.get("failure") and checks.get("health_before") == 200
      and checks.get("health_draining") == [503, "draining"] and "draining" in checks.get("late_join", "")
      and checks.get("frames_while_draining", 0) >= 30 and checks.get("alive_while_draining")
      and checks.get("exit_after_call_seconds", 99) <= 5 and result.get("server_exit") == 0)
print(json.dumps(result))
sys.exit(0 if ok else 1)
