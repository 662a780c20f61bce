"""Two aiortc peers (an independent WebRTC stack) in a call through the `sfu` server's
native protocol, with packet loss on both legs.

Starts the server given on the command line (run this inside a network namespace that
has only `lo`). One aiortc client joins a room over the WebSocket and publishes audio and
VP8 video; another joins, subscribes to every track and decodes what it receives.

Loss: the publisher drops a share of its first transmissions of video before they leave
it, and the subscriber drops the same share of the video packets it receives before its
receiver sees them. Repairing the first leg takes the SFU's NACKs and the publisher's RTX;
the second, the subscriber's NACKs and the SFU's retransmissions from its history. The
subscriber counts the video sequence numbers it never got in the end.

usage: aiortc_native_call.py SFU PORT [SECONDS] [LOSS]
Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import asyncio
import json
import os
import random
import subprocess
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import rtcrtpreceiver
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.rtp import is_rtcp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from harness import Server  # noqa: E402
sys.path.insert(0, os.path.dirname(__file__))
from native_signaling import Signaling  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 8
LOSS = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
rng = random.Random(4588)
result = {"seconds": SECONDS, "loss": LOSS}


def payload_type(sdp, kind, name):
    """The payload type of codec `name` in the first `kind` section of `sdp`."""
    section = None
    for line in sdp.splitlines():
        if line.startswith("m="):
            section = line[2:].split(" ")[0]
        elif section == kind and line.lower().startswith("a=rtpmap:") and f" {name.lower()}/" in line.lower():
            return int(line.split(":")[1].split(" ")[0])
    return None


async def publish(loop):
    signaling = Signaling(loop, PORT)
    await signaling.request({"type": "join", "room": "aiortc", "displayName": "publisher"})
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    reply = await signaling.request({"type": "publish", "sdp": pc.localDescription.sdp})
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    video = payload_type(reply["sdp"], "video", "VP8")
    transport = pc.getSenders()[1].transport
    send = transport._send_rtp
    dropped = []

    async def lossy_send(data):
        if not is_rtcp(data) and data[1] & 0x7F == video and rng.random() < LOSS:
            dropped.append(int.from_bytes(data[2:4], "big"))
            return
        await send(data)

    transport._send_rtp = lossy_send
    return signaling, pc, dropped


async def subscribe(loop):
    signaling = Signaling(loop, PORT)
    joined = await signaling.request({"type": "join", "room": "aiortc", "displayName": "subscriber"})
    if len(joined["tracks"]) < 2:
        await signaling.event("trackPublished")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames = {"audio": 0, "video": 0}
    sizes = set()

    @pc.on("track")
    def on_track(track):
        async def consume():
            try:
                while True:
                    frame = await track.recv()
                    frames[track.kind] += 1
                    if track.kind == "video":
                        sizes.add(f"{frame.width}x{frame.height}")
            except MediaStreamError:
                pass

        asyncio.ensure_future(consume())

    offer = await signaling.request({"type": "subscribe"})
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await signaling.request({"type": "answer", "sdp": pc.localDescription.sdp})
    result["subscriber_rtx_negotiated"] = payload_type(pc.localDescription.sdp, "video", "rtx") is not None

    video = payload_type(pc.localDescription.sdp, "video", "VP8")
    dropped = []
    for receiver in pc.getReceivers():
        if receiver.track.kind != "video":
            continue
        handle = receiver._handle_rtp_packet

        async def lossy_handle(packet, arrival_time_ms, handle=handle):
            if packet.payload_type == video and rng.random() < LOSS:
                dropped.append(packet.sequence_number)
                return
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = lossy_handle
    return signaling, pc, dropped, frames, sizes


# Every video packet the subscriber's receiver takes in (retransmissions unwrapped), by
# SSRC: what it got in the end.
received = {}
add = rtcrtpreceiver.NackGenerator.add


def recording_add(self, packet):
    received.setdefault(packet.ssrc, set()).add(packet.sequence_number)
    return add(self, packet)


rtcrtpreceiver.NackGenerator.add = recording_add


def never_received(numbers, settle=60):
    """Sequence numbers missing between the first and the last received, leaving out the
    last `settle`, whose repair may still be under way. The numbers may wrap past 65,535:
    the stream starts after the largest jump between neighbours."""
    ordered = sorted(numbers)
    _, last = max(((ordered[(i + 1) % len(ordered)] - ordered[i]) % 65536, i) for i in range(len(ordered)))
    first = ordered[(last + 1) % len(ordered)]
    shifted = sorted((n - first) % 65536 for n in ordered)
    present = set(shifted)
    return [n for n in range(shifted[-1] - settle) if n not in present]


async def call():
    loop = asyncio.get_running_loop()
    publisher, publisher_pc, publisher_dropped = await publish(loop)
    subscriber, subscriber_pc, subscriber_dropped, frames, sizes = await subscribe(loop)
    await asyncio.sleep(SECONDS)
    totals = server.metrics()
    result["frames"] = dict(frames)
    result["video_sizes"] = sorted(sizes)
    result["publisher_dropped"] = len(publisher_dropped)
    result["subscriber_dropped"] = len(subscriber_dropped)
    video = [numbers for numbers in received.values() if len(numbers) > 100]
    result["video_packets_received"] = sum(len(numbers) for numbers in video)
    result["never_received"] = sum(len(never_received(numbers)) for numbers in video)
    for name in ["sfu_nacks_sent_total", "sfu_repaired_packets_total", "sfu_unrepaired_packets_total",
                 "sfu_nacks_received_total", "sfu_retransmitted_packets_total"]:
        result[name] = totals.get(name, 0)
    result["states"] = [publisher_pc.connectionState, subscriber_pc.connectionState]
    await subscriber.request({"type": "leave"})
    await publisher.request({"type": "leave"})
    await publisher_pc.close()
    await subscriber_pc.close()
    publisher.socket.close()
    subscriber.socket.close()


# aioice gathers no candidate on 127.0.0.1; it does on another loopback address.
subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=False, capture_output=True)
server = None
try:
    server = Server(SERVER, PORT)
    asyncio.run(asyncio.wait_for(call(), SECONDS + 40))
except Exception as error:
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    if server is not None:
        result["server_exit"], log = server.stop()
        if result["server_exit"] != 0:
            result["server_log_tail"] = log
print(json.dumps(result))
sys.exit(1 if "failure" in result or result.get("server_exit") != 0 else 0)
