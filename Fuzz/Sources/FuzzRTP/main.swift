// Fuzzes RTPPacket: validation, every accessor, header-extension walking, the in-place
// rewrite and the egress copy. Rejecting input is fine; trapping is a bug.
import FuzzSupport
import NIOCore
import RTP

let map = RTPHeaderExtensionMap([
    1: RTPHeaderExtensionURI.audioLevel, 2: RTPHeaderExtensionURI.absSendTime,
    3: RTPHeaderExtensionURI.transportWideCC, 4: RTPHeaderExtensionURI.mid,
    5: RTPHeaderExtensionURI.playoutDelay, 10: RTPHeaderExtensionURI.rtpStreamID,
    11: RTPHeaderExtensionURI.repairedRTPStreamID, 13: RTPHeaderExtensionURI.videoOrientation,
])

runFuzzer { bytes in
    _ = DatagramKind(bytes)
    guard var packet = try? RTPPacket(validating: ByteBuffer(bytes: bytes)) else { return }
    _ = (packet.payloadType, packet.marker, packet.csrcs, packet.payload, packet.header)
    _ = (packet.mid(using: map), packet.rtpStreamID(using: map), packet.audioLevel(using: map))
    _ = (packet.absSendTime(using: map), packet.transportWideSequenceNumber(using: map))
    _ = (packet.playoutDelay(using: map), packet.videoOrientation(using: map))
    var out = ByteBuffer()
    packet.write(into: &out, ssrc: 1, sequenceNumber: SequenceNumber(2), timestamp: RTPTimestamp(3))
    precondition((try? RTPPacket(validating: out)) != nil, "a rewritten packet must re-parse")
    packet.rewrite(ssrc: 4, sequenceNumber: SequenceNumber(5), timestamp: RTPTimestamp(6), payloadType: 96)
    packet.setMarker(true)
    let edited = packet.settingHeaderExtension(id: 4, value: Array("fuzz".utf8))
    precondition(edited.payload == packet.payload, "editing extensions must keep the payload")
}
