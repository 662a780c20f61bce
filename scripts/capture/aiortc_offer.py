"""Prints an SDP offer made by aiortc (an independent WebRTC stack): one sendonly audio
and one sendonly video transceiver, after ICE gathering. Run inside a network namespace
that has only `lo`, e.g.: unshare --net sh -c 'ip link set lo up; python3 aiortc_offer.py'
"""
import asyncio

from aiortc import RTCPeerConnection


async def main() -> None:
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendonly")
    pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    print(pc.localDescription.sdp, end="")
    await pc.close()


asyncio.run(main())
