public import NIOCore

/// RTCP sender report (RFC 3550 §6.4.1), PT = 200.
///
/// ```
/// |V=2|P|    RC   |   PT=SR=200   |             length            |
/// |                         SSRC of sender                        |
/// |              NTP timestamp, most significant word             |
/// |             NTP timestamp, least significant word             |
/// |                         RTP timestamp                         |
/// |                     sender's packet count                     |
/// |                      sender's octet count                     |
/// |                 report blocks (RC × 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct SenderReport: Equatable, Sendable {
    public var ssrc: SSRC
    /// 64-bit NTP timestamp (seconds since 1900 in the high word, fraction in the low).
    public var ntpTimestamp: UInt64
    public var rtpTimestamp: RTPTimestamp
    public var packetCount: UInt32
    public var octetCount: UInt32
    public var reports: [ReportBlock]
    /// Profile-specific extension bytes, kept as sent.
    public var profileExtensions: [UInt8]

    public init(
        ssrc: SSRC,
        ntpTimestamp: UInt64,
        rtpTimestamp: RTPTimestamp,
        packetCount: UInt32,
        octetCount: UInt32,
        reports: [ReportBlock] = [],
        profileExtensions: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtensions = profileExtensions
    }

    /// Parses one SR; `packet`'s readable bytes start at its header.
    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: RTCPHeader.senderReport)
        guard body.readableBytes >= 24 else { throw .truncatedBody }
        self.ssrc = try body.readInteger(or: .truncatedBody)
        self.ntpTimestamp = try body.readInteger(or: .truncatedBody)
        self.rtpTimestamp = RTPTimestamp(try body.readInteger(or: .truncatedBody))
        self.packetCount = try body.readInteger(or: .truncatedBody)
        self.octetCount = try body.readInteger(or: .truncatedBody)
        self.reports = try ReportBlock.readAll(count: header.count, from: &body)
        self.profileExtensions = body.readBytes(length: body.readableBytes) ?? []
    }

    public var encodedLength: Int {
        28 + ReportBlock.encodedLength * self.reports.count + (self.profileExtensions.count + 3) / 4 * 4
    }

    public func write(into out: inout ByteBuffer) {
        precondition(self.reports.count <= 31, "an SR carries at most 31 report blocks")
        RTCPHeader.write(
            count: UInt8(self.reports.count),
            packetType: RTCPHeader.senderReport,
            packetLength: self.encodedLength,
            into: &out
        )
        out.writeInteger(self.ssrc)
        out.writeInteger(self.ntpTimestamp)
        out.writeInteger(self.rtpTimestamp.rawValue)
        out.writeInteger(self.packetCount)
        out.writeInteger(self.octetCount)
        for report in self.reports { report.write(into: &out) }
        out.writeBytes(self.profileExtensions)
        out.writeRepeatingByte(0, count: (4 - self.profileExtensions.count % 4) % 4)
    }
}
