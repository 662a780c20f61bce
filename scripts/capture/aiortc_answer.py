"""Reads an SDP offer on stdin and prints aiortc's answer to it (recvonly for every
section aiortc accepts). Used by the SDP tests as an independent answerer. Run inside a
network namespace that has only `lo`.
"""
import asyncio
import sys

from aiortc import RTCPeerConnection, RTCSessionDescription


async def main() -> None:
    offer = sys.stdin.read()
    pc = RTCPeerConnection()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    for transceiver in pc.getTransceivers():
        transceiver.direction = "recvonly"
    await pc.setLocalDescription(await pc.createAnswer())
    print(pc.localDescription.sdp, end="")
    await pc.close()


asyncio.run(main())
