public import NIOCore

/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2): PSFB
/// (PT = 206), FMT = 15 (application layer feedback), identifier "REMB".
///
/// ```
/// |V=2|P| FMT=15  |   PT=206      |             length            |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source (0)                     |
/// |  Unique identifier 'R' 'E' 'M' 'B'                            |
/// |  Num SSRC     | BR Exp    |  BR Mantissa (18 bits)            |
/// |   SSRC feedback …                                             |
/// ```
/// The bitrate is `mantissa << exp` bits per second.
public struct REMB: Equatable, Sendable {
    static let identifier: UInt32 = 0x5245_4D42  // "REMB"

    public var senderSSRC: SSRC
    public var bitsPerSecond: Int
    public var ssrcs: [SSRC]

    public init(senderSSRC: SSRC, bitsPerSecond: Int, ssrcs: [SSRC]) {
        self.senderSSRC = senderSSRC
        self.bitsPerSecond = bitsPerSecond
        self.ssrcs = ssrcs
    }

    /// Whether an application-layer feedback packet carries the REMB identifier.
    static func isREMB(_ packet: ByteBuffer) -> Bool {
        packet.getInteger(at: packet.readerIndex + 12, as: UInt32.self) == Self.identifier
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let feedback = try FeedbackHeader(
            validating: packet,
            packetType: RTCPHeader.payloadFeedback,
            format: FeedbackHeader.applicationLayerFormat
        )
        var fci = feedback.fci
        guard fci.readInteger(as: UInt32.self) == Self.identifier,
            let word = fci.readInteger(as: UInt32.self)
        else { throw .malformedREMB }
        let count = Int(word >> 24)
        let exponent = UInt64(word >> 18 & 0x3F)
        let mantissa = UInt64(word & 0x3_FFFF)
        let (value, overflow) = mantissa.multipliedReportingOverflow(by: 1 << exponent)
        self.senderSSRC = feedback.senderSSRC
        self.bitsPerSecond = overflow || value > UInt64(Int.max) ? Int.max : Int(value)
        guard fci.readableBytes >= 4 * count else { throw .malformedREMB }
        self.ssrcs = []
        for _ in 0..<count { self.ssrcs.append(try fci.readInteger(or: .malformedREMB)) }
    }

    public var encodedLength: Int { 20 + 4 * self.ssrcs.count }

    public func write(into out: inout ByteBuffer) {
        precondition(self.ssrcs.count <= 255, "a REMB names at most 255 SSRCs")
        var mantissa = UInt64(max(self.bitsPerSecond, 0))
        var exponent: UInt32 = 0
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        FeedbackHeader.write(
            format: FeedbackHeader.applicationLayerFormat,
            packetType: RTCPHeader.payloadFeedback,
            senderSSRC: self.senderSSRC,
            mediaSSRC: 0,
            packetLength: self.encodedLength,
            into: &out
        )
        out.writeInteger(Self.identifier)
        out.writeInteger(UInt32(self.ssrcs.count) << 24 | exponent << 18 | UInt32(mantissa))
        for ssrc in self.ssrcs { out.writeInteger(ssrc) }
    }
}
