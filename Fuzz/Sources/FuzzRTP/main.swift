// Fuzzes RTPPacket: validation, every accessor, header-extension walking, the in-place
// rewrite and the egress copies (plain, and with a subscriber's header extensions, the
// publisher's elements renumbered in either form). Rejecting input is fine; trapping is
// a bug.
import FuzzSupport
import NIOCore
import RTP

let map = RTPHeaderExtensionMap([
    1: RTPHeaderExtensionURI.audioLevel, 2: RTPHeaderExtensionURI.absSendTime,
    3: RTPHeaderExtensionURI.transportWideCC, 4: RTPHeaderExtensionURI.mid,
    5: RTPHeaderExtensionURI.playoutDelay, 10: RTPHeaderExtensionURI.rtpStreamID,
    11: RTPHeaderExtensionURI.repairedRTPStreamID, 13: RTPHeaderExtensionURI.videoOrientation,
])

// A subscriber's extensions: its own three, and the publisher's elements passed through,
// one past the one-byte form's ids (forcing the two-byte form).
let oneByte = EgressHeaderExtensions(mid: (1, Array("7".utf8)), absSendTimeID: 2, transportWideID: 3)
for id in UInt8(1)...14 { oneByte.pass(id, as: id) }
let twoByte = EgressHeaderExtensions(mid: (1, Array("7".utf8)), transportWideID: 3)
twoByte.pass(13, as: 200)
twoByte.pass(5, as: 6)

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
    for extensions in [oneByte, twoByte] {
        var copy = ByteBuffer()
        let written = packet.write(
            into: &copy,
            ssrc: 1,
            sequenceNumber: SequenceNumber(2),
            timestamp: RTPTimestamp(3),
            payloadType: 100,
            extensions: extensions,
            transportSequence: 0xABCD,
            absSendTime: 0x12_3456
        )
        precondition(written == copy.readableBytes, "the copy's length is what was written")
        guard let reparsed = try? RTPPacket(validating: copy) else { preconditionFailure("a copy must re-parse") }
        precondition(reparsed.payload == packet.payload, "a copy keeps the payload")
        precondition(reparsed.transportWideSequenceNumber(using: map) == 0xABCD, "a copy carries its sequence number")
    }
    packet.rewrite(ssrc: 4, sequenceNumber: SequenceNumber(5), timestamp: RTPTimestamp(6), payloadType: 96)
    packet.setMarker(true)
    let edited = packet.settingHeaderExtension(id: 4, value: Array("fuzz".utf8))
    precondition(edited.payload == packet.payload, "editing extensions must keep the payload")
}
