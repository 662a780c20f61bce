"""An aiortc peer that publishes synthetic video (VP8) and audio (Opus) to the SFU.

stdout: {"sdp": offer}                then, after `seconds` of media,
        {"done": true, "state": …, "remote_inbound": [{"kind", "packets_lost", "round_trip_time"}]}
        (what the SFU's receiver reports told this sender)
stdin:  {"sdp": answer}
Run inside a network namespace that has only `lo` (with 127.0.0.2 added).
"""
import asyncio
import json
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


async def main(seconds: float) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
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


asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 10))
