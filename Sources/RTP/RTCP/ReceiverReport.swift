public import NIOCore

/// RTCP receiver report (RFC 3550 §6.4.2), PT = 201.
///
/// ```
/// |V=2|P|    RC   |   PT=RR=201   |             length            |
/// |                     SSRC of packet sender                     |
/// |                 report blocks (RC × 24 bytes)                 |
/// |                  profile-specific extensions                  |
/// ```
public struct ReceiverReport: Equatable, Sendable {
    public var ssrc: SSRC
    public var reports: [ReportBlock]
    public var profileExtensions: [UInt8]

    public init(ssrc: SSRC, reports: [ReportBlock] = [], profileExtensions: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtensions = profileExtensions
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: RTCPHeader.receiverReport)
        self.ssrc = try body.readInteger(or: .truncatedBody)
        self.reports = try ReportBlock.readAll(count: header.count, from: &body)
        self.profileExtensions = body.readBytes(length: body.readableBytes) ?? []
    }

    public var encodedLength: Int {
        8 + ReportBlock.encodedLength * self.reports.count + (self.profileExtensions.count + 3) / 4 * 4
    }

    public func write(into out: inout ByteBuffer) {
        precondition(self.reports.count <= 31, "an RR carries at most 31 report blocks")
        RTCPHeader.write(
            count: UInt8(self.reports.count),
            packetType: RTCPHeader.receiverReport,
            packetLength: self.encodedLength,
            into: &out
        )
        out.writeInteger(self.ssrc)
        for report in self.reports { report.write(into: &out) }
        out.writeBytes(self.profileExtensions)
        out.writeRepeatingByte(0, count: (4 - self.profileExtensions.count % 4) % 4)
    }
}
