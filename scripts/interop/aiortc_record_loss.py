"""A recorded publisher that loses packets: aiortc (an independent WebRTC stack, VP8 and
Opus from libvpx and libopus) publishes through the Janus face into a room created with
`record: true`, and drops a share of its first transmissions of audio and video before
they leave it. The SFU's NACKs and the publisher's RTX repair the video; the recorder
leaves out what stays missing (video up to the next key frame). The WebM file must still
decode with libvpx and libopus without an error.

usage: aiortc_record_loss.py SFU PORT [SECONDS] [LOSS]
Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import asyncio
import glob
import json
import os
import random
import subprocess
import sys
import tempfile

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from aiortc.rtp import is_rtcp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "janus"))
sys.path.insert(0, os.path.dirname(__file__))
from aiortc_candidates import add_remote_candidates  # noqa: E402
from harness import Server  # noqa: E402
from recording_checks import decoding_errors, probe  # noqa: E402
from signaling import JanusSession  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10
LOSS = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
ROOM = 7272
rng = random.Random(2121)
result = {"seconds": SECONDS, "loss": LOSS, "checks": {}}


def media_payload_types(sdp):
    """The payload types of the answer's first audio and video codecs: their packets are
    first transmissions (RTX has its own)."""
    types, section = set(), None
    for line in sdp.splitlines():
        if line.startswith("m="):
            fields = line[2:].split(" ")
            section = fields[0]
            if section in ("audio", "video") and len(fields) > 3:
                types.add(int(fields[3]))
    return types


async def call(url, folder, server):
    session = await JanusSession.open(url, ROOM)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    await session.message({"request": "create", "room": ROOM, "record": True, "rec_dir": folder}, want="success")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    answer = await session.publish(pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    # The server's candidates, trickled and kept until now.
    adding = add_remote_candidates(pc, session)
    media = media_payload_types(answer)
    # Audio and video share the bundled transport: one wrapper drops from both.
    transport = pc.getSenders()[1].transport
    send = transport._send_rtp
    counts = {"sent": 0, "dropped": 0}

    async def lossy_send(data):
        if not is_rtcp(data) and data[1] & 0x7F in media:
            counts["sent"] += 1
            if rng.random() < LOSS:
                counts["dropped"] += 1
                return
        await send(data)

    transport._send_rtp = lossy_send
    await asyncio.sleep(SECONDS)
    result["state"] = pc.connectionState
    metrics = server.get("/metrics")
    for name in ("sfu_nacks_sent_total", "sfu_repaired_packets_total", "sfu_unrepaired_packets_total"):
        result[name] = sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(name))
    result["publisher"] = counts
    adding.cancel()
    await session.close()
    await pc.close()


# aioice gathers no candidate on 127.0.0.1; it does on another loopback address.
subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=False, capture_output=True)
folder = tempfile.mkdtemp(prefix="swiftsfu-recordings-")
server = Server(SERVER, PORT, "--janus-ws-port", str(PORT + 100))
try:
    asyncio.run(asyncio.wait_for(call(f"ws://127.0.0.1:{PORT + 100}/", folder, server), SECONDS + 40))
except Exception as error:  # noqa: BLE001 — reported, then the checks fail
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    code, log = server.stop()
    result["server_exit"] = code
    if code != 0:
        result["server_log"] = log[-3000:]
files = glob.glob(os.path.join(folder, "*.webm"))
checks = result["checks"]
checks["one_webm"] = len(files) == 1
if files:
    info = probe(files[0])
    checks["codecs"] = sorted(s.get("codec_name") for s in info.get("streams", []))
    checks["duration"] = float(info.get("format", {}).get("duration") or 0)
    result["decoding_errors"] = decoding_errors(files[0])[-2000:]
    checks["decodes_cleanly"] = result["decoding_errors"] == ""
ok = (not result.get("failure") and checks.get("one_webm") and checks.get("codecs") == ["opus", "vp8"]
      and checks.get("decodes_cleanly") and abs(checks.get("duration", 0) - SECONDS) <= 1.5
      and result.get("publisher", {}).get("dropped", 0) > 0 and result.get("sfu_nacks_sent_total", 0) > 0
      and result.get("server_exit") == 0)
print(json.dumps(result))
sys.exit(0 if ok else 1)
