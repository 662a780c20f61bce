"""An aiortc peer that publishes synthetic video (VP8) and audio (Opus) to the SFU.

Usage: aiortc_publisher.py [SECONDS] [ignoring-remb]. With `ignoring-remb` it is a
publisher that does not keep to the bitrate it is asked for: its video is random noise
(which no bitrate makes small) encoded at 1.5 Mbit/s whatever REMB says.

stdout: {"sdp": offer}                then, after `seconds` of media,
        {"done": true, "state": …, "remote_inbound": [{"kind", "packets_lost", "round_trip_time"}]}
        (what the SFU's receiver reports told this sender)
stdin:  {"sdp": answer}
Run inside a network namespace that has only `lo` (with 127.0.0.2 added).
"""
import asyncio
import json
import sys

import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import vpx
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame


class NoiseTrack(VideoStreamTrack):
    """640x480 frames of random pixels, 30 a second."""

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(numpy.random.randint(0, 256, (480, 640, 3), dtype=numpy.uint8), format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def ignore_remb() -> None:
    """Every VP8 encoder aims at the most aiortc allows and ignores what REMB asks."""
    vpx.Vp8Encoder.target_bitrate = property(lambda self: vpx.MAX_BITRATE, lambda self, bitrate: None)


async def main(seconds: float, abusive: bool) -> None:
    if abusive:
        ignore_remb()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pc.addTransceiver(NoiseTrack() if abusive else VideoStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    print(json.dumps({"sdp": pc.localDescription.sdp}), flush=True)
    answer = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    await asyncio.sleep(seconds)
    reports = []
    for sender in pc.getSenders():
        for stats in (await sender.getStats()).values():
            if stats.type == "remote-inbound-rtp":
                reports.append({
                    "kind": stats.kind,
                    "packets_lost": stats.packetsLost,
                    "round_trip_time": stats.roundTripTime,
                })
    print(json.dumps({"done": True, "state": pc.connectionState, "remote_inbound": reports}), flush=True)
    await pc.close()


asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 10, "ignoring-remb" in sys.argv[2:]))
