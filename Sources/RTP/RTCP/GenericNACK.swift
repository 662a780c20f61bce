public import NIOCore

/// Generic NACK (RFC 4585 §6.2.1): RTPFB (PT = 205), FMT = 1.
///
/// Each FCI entry names one lost packet (PID) and a bitmask of the 16 after it (BLP):
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            PID                |             BLP               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// Bit i of BLP (least significant = 0) reports PID + i + 1 as lost too.
public struct GenericNACK: Equatable, Sendable {
    public var senderSSRC: SSRC
    public var mediaSSRC: SSRC
    /// The lost sequence numbers, expanded from the PID/BLP entries in wire order.
    public var lostSequenceNumbers: [SequenceNumber]

    public init(senderSSRC: SSRC, mediaSSRC: SSRC, lostSequenceNumbers: [SequenceNumber]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.lostSequenceNumbers = lostSequenceNumbers
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let feedback = try FeedbackHeader(
            validating: packet,
            packetType: RTCPHeader.transportFeedback,
            format: FeedbackHeader.genericNACKFormat
        )
        var fci = feedback.fci
        guard fci.readableBytes % 4 == 0 else { throw .malformedFeedbackEntries }
        self.senderSSRC = feedback.senderSSRC
        self.mediaSSRC = feedback.mediaSSRC
        self.lostSequenceNumbers = []
        while let pid = fci.readInteger(as: UInt16.self), let blp = fci.readInteger(as: UInt16.self) {
            self.lostSequenceNumbers.append(SequenceNumber(pid))
            for bit in 0..<16 where blp & (1 << bit) != 0 {
                self.lostSequenceNumbers.append(SequenceNumber(pid &+ UInt16(bit) &+ 1))  // wraps by design
            }
        }
    }

    /// The PID/BLP entries that cover `lostSequenceNumbers`, in order of first appearance.
    public var entries: [(pid: UInt16, bitmask: UInt16)] {
        var entries: [(pid: UInt16, bitmask: UInt16)] = []
        for sequenceNumber in self.lostSequenceNumbers {
            if let last = entries.last {
                let distance = SequenceNumber(last.pid).distance(to: sequenceNumber)
                if distance == 0 { continue }
                if (1...16).contains(distance) {
                    entries[entries.count - 1].bitmask |= 1 << (distance - 1)
                    continue
                }
            }
            entries.append((sequenceNumber.rawValue, 0))
        }
        return entries
    }

    public var encodedLength: Int { 12 + 4 * self.entries.count }

    public func write(into out: inout ByteBuffer) {
        let entries = self.entries
        FeedbackHeader.write(
            format: FeedbackHeader.genericNACKFormat,
            packetType: RTCPHeader.transportFeedback,
            senderSSRC: self.senderSSRC,
            mediaSSRC: self.mediaSSRC,
            packetLength: 12 + 4 * entries.count,
            into: &out
        )
        for entry in entries {
            out.writeInteger(entry.pid)
            out.writeInteger(entry.bitmask)
        }
    }
}
