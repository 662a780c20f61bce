"""An aiortc peer that receives every track the SFU offers and decodes it.

stdin:  {"sdp": offer}
stdout: {"sdp": answer}     then, after `seconds`,
        {"video_frames": n, "audio_frames": n, "video_sizes": ["WxH", ...],
         "remote_outbound": [{"kind", "packets_sent"}]}   (from the SFU's sender reports)
Run inside a network namespace that has only `lo` (with 127.0.0.2 added).
"""
import asyncio
import json
import sys

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError


async def main(seconds: float) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    counts = {"video_frames": 0, "audio_frames": 0}
    sizes = set()
    tasks = []

    async def consume(track) -> None:
        try:
            while True:
                frame = await track.recv()
                counts[track.kind + "_frames"] += 1
                if track.kind == "video":
                    sizes.add(f"{frame.width}x{frame.height}")
        except MediaStreamError:
            pass

    @pc.on("track")
    def on_track(track) -> None:
        tasks.append(asyncio.ensure_future(consume(track)))

    offer = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    print(json.dumps({"sdp": pc.localDescription.sdp}), flush=True)
    await asyncio.sleep(seconds)
    reports = []
    for receiver in pc.getReceivers():
        for stats in (await receiver.getStats()).values():
            if stats.type == "remote-outbound-rtp":
                reports.append({"kind": stats.kind, "packets_sent": stats.packetsSent})
    print(json.dumps({
        **counts,
        "video_sizes": sorted(sizes),
        "state": pc.connectionState,
        "remote_outbound": reports,
    }), flush=True)
    for task in tasks:
        task.cancel()
    await pc.close()


asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 5))
