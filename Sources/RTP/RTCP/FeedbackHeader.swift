import NIOCore

/// The fixed part shared by all feedback messages (RFC 4585 §6.1): PT 205 (RTPFB,
/// transport layer) or 206 (PSFB, payload specific), a format in the count field, then
/// the two SSRCs and the feedback control information (FCI).
///
/// ```
/// |V=2|P|   FMT   |       PT      |          length               |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// :            Feedback Control Information (FCI)                 :
/// ```
struct FeedbackHeader {
    static let genericNACKFormat: UInt8 = 1
    static let transportWideFormat: UInt8 = 15
    static let pictureLossFormat: UInt8 = 1
    static let fullIntraRequestFormat: UInt8 = 4
    static let applicationLayerFormat: UInt8 = 15

    var senderSSRC: SSRC
    var mediaSSRC: SSRC
    /// The FCI, without padding.
    var fci: ByteBuffer

    /// Validates the packet as feedback of type `packetType` and format `format`.
    init(validating packet: ByteBuffer, packetType: UInt8, format: UInt8) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: packetType)
        guard header.count == format else { throw .wrongPacketType }
        self.senderSSRC = try body.readInteger(or: .truncatedBody)
        self.mediaSSRC = try body.readInteger(or: .truncatedBody)
        self.fci = body
    }

    static func write(
        format: UInt8,
        packetType: UInt8,
        senderSSRC: SSRC,
        mediaSSRC: SSRC,
        packetLength: Int,
        into out: inout ByteBuffer
    ) {
        RTCPHeader.write(count: format, packetType: packetType, packetLength: packetLength, into: &out)
        out.writeInteger(senderSSRC)
        out.writeInteger(mediaSSRC)
    }
}
