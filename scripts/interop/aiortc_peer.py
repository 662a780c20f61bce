"""aiortc (an independent WebRTC stack in Python) as a publisher and subscribers of one
interop-matrix cell (scripts/interop/cells.py): it publishes VP8 it encodes (160x120)
and Opus, and its subscribers decode both.

usage: aiortc_peer.py -face janus|native -url URL -mode sequential|concurrent -subscribers N
"""

import asyncio

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from aiortc_candidates import add_remote_candidates
from cells import main


# aiortc asks a public STUN server when it is given none: it is given an empty list.
NO_SERVERS = RTCConfiguration(iceServers=[])


class SmallVideo(VideoStreamTrack):
    """160x120 frames at 30 frames/s: twenty subscribers decode them on two cores."""

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=160, height=120, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes([pts // 3000 % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


async def connected(pc, limit):
    """Waits until `pc` is connected; raises if it fails or the time runs out."""
    async with asyncio.timeout(limit):
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise RuntimeError(f"the peer connection {pc.connectionState}")
            await asyncio.sleep(0.02)




class Peer:
    def __init__(self, pc, task):
        self.pc, self.task, self.tasks = pc, task, []
        self.video_frames = self.audio_frames = 0

    @property
    def connected(self):
        return self.pc.connectionState == "connected"

    async def close(self):
        for task in [self.task, *self.tasks]:
            task.cancel()
        await self.pc.close()


class Aiortc:
    async def publish(self, session, limit):
        pc = RTCPeerConnection(NO_SERVERS)
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        pc.addTransceiver(SmallVideo(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        answer = await session.publish(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        peer = Peer(pc, add_remote_candidates(pc, session))
        await connected(pc, limit)
        return peer

    async def subscribe(self, session, limit):
        pc = RTCPeerConnection(NO_SERVERS)
        peer = Peer(pc, add_remote_candidates(pc, session))

        async def count(track):
            try:
                while True:
                    await track.recv()
                    if track.kind == "video":
                        peer.video_frames += 1
                    else:
                        peer.audio_frames += 1
            except MediaStreamError:
                pass

        pc.on("track", lambda track: peer.tasks.append(asyncio.ensure_future(count(track))))
        offer = await session.subscribe()
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await session.answer(pc.localDescription.sdp)
        return peer


main(Aiortc)
