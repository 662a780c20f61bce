"""RTP and RTCP bytes as aiortc (an independent WebRTC stack) writes and reads them.

`generate`: prints a JSON list of packets aiortc serialized, each with the values it was
built from. `parse`: reads a JSON list of {"kind": "rtp"|"rtcp", "hex": …} on stdin and
prints what aiortc parses out of each. The RTP tests run both directions.
"""
import json
import sys

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import (
    HeaderExtensionsMap,
    RtcpByePacket,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

EXTENSIONS = {
    1: "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    2: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    3: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    4: "urn:ietf:params:rtp-hdrext:sdes:mid",
    10: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    11: "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
}


def extensions_map() -> HeaderExtensionsMap:
    m = HeaderExtensionsMap()
    m.configure(
        RTCRtpParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in EXTENSIONS.items()]
        )
    )
    return m


def rtp_values(p: RtpPacket) -> dict:
    e = p.extensions
    return {
        "marker": bool(p.marker),
        "payloadType": p.payload_type,
        "sequenceNumber": p.sequence_number,
        "timestamp": p.timestamp,
        "ssrc": p.ssrc,
        "csrcs": list(p.csrc),
        "payload": p.payload.hex(),
        "mid": e.mid,
        "rid": e.rtp_stream_id,
        "repairedRid": e.repaired_rtp_stream_id,
        "absSendTime": e.abs_send_time,
        "audioLevel": list(e.audio_level) if e.audio_level is not None else None,
        "transportSequenceNumber": e.transport_sequence_number,
    }


def rtcp_values(p) -> dict:
    if isinstance(p, RtcpSrPacket):
        return {
            "type": "sr", "ssrc": p.ssrc, "ntp": p.sender_info.ntp_timestamp,
            "rtpTimestamp": p.sender_info.rtp_timestamp, "packets": p.sender_info.packet_count,
            "octets": p.sender_info.octet_count, "reports": [report_values(r) for r in p.reports],
        }
    if isinstance(p, RtcpRrPacket):
        return {"type": "rr", "ssrc": p.ssrc, "reports": [report_values(r) for r in p.reports]}
    if isinstance(p, RtcpSdesPacket):
        return {
            "type": "sdes",
            "chunks": [{"ssrc": c.ssrc, "items": [[t, v.decode()] for t, v in c.items]} for c in p.chunks],
        }
    if isinstance(p, RtcpByePacket):
        return {"type": "bye", "sources": list(p.sources)}
    if isinstance(p, RtcpRtpfbPacket):
        return {"type": "rtpfb", "fmt": p.fmt, "ssrc": p.ssrc, "mediaSsrc": p.media_ssrc, "lost": list(p.lost)}
    if isinstance(p, RtcpPsfbPacket):
        values = {"type": "psfb", "fmt": p.fmt, "ssrc": p.ssrc, "mediaSsrc": p.media_ssrc}
        if p.fmt == 15:
            bitrate, ssrcs = unpack_remb_fci(p.fci)
            values.update({"bitrate": bitrate, "ssrcs": ssrcs})
        return values
    return {"type": type(p).__name__}


def report_values(r: RtcpReceiverInfo) -> dict:
    return {
        "ssrc": r.ssrc, "fractionLost": r.fraction_lost, "packetsLost": r.packets_lost,
        "highestSequence": r.highest_sequence, "jitter": r.jitter, "lsr": r.lsr, "dlsr": r.dlsr,
    }


def generate() -> list:
    m = extensions_map()
    packets = []
    video = RtpPacket(payload_type=96, marker=1, sequence_number=65535, timestamp=4294967295, ssrc=0x12345678,
                      payload=bytes([0x90, 0xE0, 0x80, 0x01]) + bytes(range(40)))
    video.extensions.mid = "1"
    video.extensions.rtp_stream_id = "h"
    video.extensions.abs_send_time = 0x123456
    video.extensions.transport_sequence_number = 4242
    packets.append({"kind": "rtp", "name": "vp8-mid-rid-abs-twcc", "hex": video.serialize(m).hex(),
                    "expect": rtp_values(video)})
    audio = RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=0xDEADBEEF, payload=b"\xfc" + b"\x00" * 60)
    audio.csrc = [1, 2]
    audio.extensions.audio_level = (True, 42)
    audio.extensions.mid = "0"
    packets.append({"kind": "rtp", "name": "opus-csrc-level", "hex": audio.serialize(m).hex(), "expect": rtp_values(audio)})
    rtx = RtpPacket(payload_type=97, sequence_number=100, timestamp=3000, ssrc=0xABCDEF01, payload=b"\x04\xd2" + b"x" * 20)
    rtx.extensions.repaired_rtp_stream_id = "f"
    rtx.padding_size = 7
    packets.append({"kind": "rtp", "name": "rtx-repaired-padding", "hex": rtx.serialize(m).hex(), "expect": rtp_values(rtx)})

    report = RtcpReceiverInfo(ssrc=0x0A0B0C0D, fraction_lost=12, packets_lost=345, highest_sequence=70000,
                              jitter=99, lsr=0x11223344, dlsr=0x5566)
    rtcp = [
        RtcpSrPacket(ssrc=1, sender_info=RtcpSenderInfo(ntp_timestamp=0xE1234567_89ABCDEF, rtp_timestamp=90000,
                                                        packet_count=10, octet_count=12000), reports=[report]),
        RtcpRrPacket(ssrc=2, reports=[report]),
        RtcpSdesPacket(chunks=[RtcpSourceInfo(ssrc=3, items=[(1, b"aiortc-cname")])]),
        RtcpByePacket(sources=[4, 5]),
        RtcpRtpfbPacket(fmt=1, ssrc=6, media_ssrc=7, lost=[10, 11, 12, 30, 65535]),
        RtcpPsfbPacket(fmt=1, ssrc=8, media_ssrc=9),
        RtcpPsfbPacket(fmt=15, ssrc=10, media_ssrc=0, fci=pack_remb_fci(1_500_000, [11, 12])),
    ]
    for packet in rtcp:
        packets.append({"kind": "rtcp", "name": rtcp_values(packet)["type"], "hex": bytes(packet).hex(),
                        "expect": rtcp_values(packet)})
    return packets


def parse(items: list) -> list:
    m = extensions_map()
    results = []
    for item in items:
        data = bytes.fromhex(item["hex"])
        if item["kind"] == "rtp":
            results.append(rtp_values(RtpPacket.parse(data, m)))
        else:
            results.append([rtcp_values(p) for p in RtcpPacket.parse(data)])
    return results


if sys.argv[1:] == ["generate"]:
    print(json.dumps(generate()))
elif sys.argv[1:] == ["parse"]:
    print(json.dumps(parse(json.load(sys.stdin))))
else:
    sys.exit("usage: aiortc_packets.py generate|parse")
