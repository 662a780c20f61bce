public import NIOCore

/// Picture loss indication (RFC 4585 §6.3.1): PSFB (PT = 206), FMT = 1, no FCI.
///
/// ```
/// |V=2|P| FMT=1   |    PT=206     |          length=2             |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// ```
public struct PictureLossIndication: Equatable, Sendable {
    public var senderSSRC: SSRC
    public var mediaSSRC: SSRC

    public init(senderSSRC: SSRC, mediaSSRC: SSRC) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let feedback = try FeedbackHeader(
            validating: packet,
            packetType: RTCPHeader.payloadFeedback,
            format: FeedbackHeader.pictureLossFormat
        )
        self.senderSSRC = feedback.senderSSRC
        self.mediaSSRC = feedback.mediaSSRC
    }

    public var encodedLength: Int { 12 }

    public func write(into out: inout ByteBuffer) {
        FeedbackHeader.write(
            format: FeedbackHeader.pictureLossFormat,
            packetType: RTCPHeader.payloadFeedback,
            senderSSRC: self.senderSSRC,
            mediaSSRC: self.mediaSSRC,
            packetLength: 12,
            into: &out
        )
    }
}
