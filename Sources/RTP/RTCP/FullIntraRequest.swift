public import NIOCore

/// Full intra request (RFC 5104 §4.3.1): PSFB (PT = 206), FMT = 4. The media SSRC field
/// is 0; each FCI entry names the source and a command sequence number.
///
/// ```
/// |                              SSRC                             |
/// | Seq nr.       |    Reserved                                   |
/// ```
public struct FullIntraRequest: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var ssrc: SSRC
        public var sequenceNumber: UInt8

        public init(ssrc: SSRC, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: SSRC
    public var entries: [Entry]

    public init(senderSSRC: SSRC, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.entries = entries
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let feedback = try FeedbackHeader(
            validating: packet,
            packetType: RTCPHeader.payloadFeedback,
            format: FeedbackHeader.fullIntraRequestFormat
        )
        var fci = feedback.fci
        guard fci.readableBytes % 8 == 0, fci.readableBytes > 0 else { throw .malformedFeedbackEntries }
        self.senderSSRC = feedback.senderSSRC
        self.entries = []
        while let ssrc = fci.readInteger(as: UInt32.self), let word = fci.readInteger(as: UInt32.self) {
            self.entries.append(Entry(ssrc: ssrc, sequenceNumber: UInt8(word >> 24)))
        }
    }

    public var encodedLength: Int { 12 + 8 * self.entries.count }

    public func write(into out: inout ByteBuffer) {
        FeedbackHeader.write(
            format: FeedbackHeader.fullIntraRequestFormat,
            packetType: RTCPHeader.payloadFeedback,
            senderSSRC: self.senderSSRC,
            mediaSSRC: 0,
            packetLength: self.encodedLength,
            into: &out
        )
        for entry in self.entries {
            out.writeInteger(entry.ssrc)
            out.writeInteger(UInt32(entry.sequenceNumber) << 24)
        }
    }
}
