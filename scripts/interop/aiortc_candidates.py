"""The server's trickled ICE candidates into an aiortc peer connection (aiortc does not
trickle: it takes candidates through `addIceCandidate` as they come)."""

import asyncio

from aiortc.sdp import candidate_from_sdp


def add_remote_candidates(pc, session):
    """The server's trickled candidates, added as they come."""

    async def add():
        while True:
            text, mline = await session.candidates.get()
            if text is None:
                continue
            candidate = candidate_from_sdp(text.split(":", 1)[1])
            candidate.sdpMLineIndex = mline
            try:
                await pc.addIceCandidate(candidate)
            except Exception:
                pass

    return asyncio.ensure_future(add())
