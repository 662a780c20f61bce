import NIOCore

/// One reception report block of an SR or RR (RFC 3550 §6.4.1).
///
/// ```
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_n (SSRC of source being reported)        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// |                      interarrival jitter                      |
/// |                         last SR (LSR)                         |
/// |                   delay since last SR (DLSR)                  |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct ReportBlock: Equatable, Sendable {
    public static let encodedLength = 24

    public var ssrc: SSRC
    /// Fraction lost since the previous report, in 1/256 units.
    public var fractionLost: UInt8
    /// Cumulative packets lost: a signed 24-bit value (duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequenceNumber: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received.
    public var lastSenderReport: UInt32
    /// Delay since that SR in 1/65536 seconds.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: SSRC,
        fractionLost: UInt8 = 0,
        cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0,
        jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0,
        delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    static func read(from body: inout ByteBuffer) throws(RTCPParseError) -> ReportBlock {
        let ssrc: UInt32 = try body.readInteger(or: .reportBlocksPastEnd)
        let lost: UInt32 = try body.readInteger(or: .reportBlocksPastEnd)
        // 24-bit two's complement: shift up, then arithmetic shift down.
        let cumulative = Int32(bitPattern: lost << 8) >> 8
        return ReportBlock(
            ssrc: ssrc,
            fractionLost: UInt8(lost >> 24),
            cumulativeLost: cumulative,
            extendedHighestSequenceNumber: try body.readInteger(or: .reportBlocksPastEnd),
            jitter: try body.readInteger(or: .reportBlocksPastEnd),
            lastSenderReport: try body.readInteger(or: .reportBlocksPastEnd),
            delaySinceLastSenderReport: try body.readInteger(or: .reportBlocksPastEnd)
        )
    }

    func write(into out: inout ByteBuffer) {
        out.writeInteger(self.ssrc)
        let clamped = min(max(self.cumulativeLost, -0x80_0000), 0x7F_FFFF)
        out.writeInteger(UInt32(self.fractionLost) << 24 | UInt32(bitPattern: clamped) & 0xFF_FFFF)
        out.writeInteger(self.extendedHighestSequenceNumber)
        out.writeInteger(self.jitter)
        out.writeInteger(self.lastSenderReport)
        out.writeInteger(self.delaySinceLastSenderReport)
    }

    static func readAll(count: UInt8, from body: inout ByteBuffer) throws(RTCPParseError) -> [ReportBlock] {
        guard body.readableBytes >= Int(count) * Self.encodedLength else { throw .reportBlocksPastEnd }
        var blocks: [ReportBlock] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count { blocks.append(try Self.read(from: &body)) }
        return blocks
    }
}
