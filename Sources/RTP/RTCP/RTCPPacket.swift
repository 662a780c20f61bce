public import NIOCore

/// One RTCP packet of a compound datagram, parsed by type (RFC 3550 §6, RFC 4585 §6,
/// RFC 5104 §4.3). XR and unknown types and formats are kept as opaque bytes.
public enum RTCPPacket: Equatable, Sendable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sourceDescription(SourceDescription)
    case goodbye(Goodbye)
    case applicationDefined(ApplicationDefined)
    case genericNACK(GenericNACK)
    case transportWideFeedback(TransportWideFeedback)
    case pictureLossIndication(PictureLossIndication)
    case fullIntraRequest(FullIntraRequest)
    case receiverEstimatedMaximumBitrate(REMB)
    case opaque(RTCPOpaquePacket)

    /// Parses the one packet at the reader index of `bytes` (its length field decides
    /// how many bytes it takes).
    public init(validating bytes: ByteBuffer) throws(RTCPParseError) {
        let header = try RTCPHeader(validating: bytes)
        guard let packet = bytes.getSlice(at: bytes.readerIndex, length: header.packetLength) else {
            throw .lengthPastEnd
        }
        switch (header.packetType, header.count) {
        case (RTCPHeader.senderReport, _): self = .senderReport(try SenderReport(validating: packet))
        case (RTCPHeader.receiverReport, _): self = .receiverReport(try ReceiverReport(validating: packet))
        case (RTCPHeader.sourceDescription, _): self = .sourceDescription(try SourceDescription(validating: packet))
        case (RTCPHeader.goodbye, _): self = .goodbye(try Goodbye(validating: packet))
        case (RTCPHeader.applicationDefined, _): self = .applicationDefined(try ApplicationDefined(validating: packet))
        case (RTCPHeader.transportFeedback, FeedbackHeader.genericNACKFormat):
            self = .genericNACK(try GenericNACK(validating: packet))
        case (RTCPHeader.transportFeedback, FeedbackHeader.transportWideFormat):
            self = .transportWideFeedback(try TransportWideFeedback(validating: packet))
        case (RTCPHeader.payloadFeedback, FeedbackHeader.pictureLossFormat):
            self = .pictureLossIndication(try PictureLossIndication(validating: packet))
        case (RTCPHeader.payloadFeedback, FeedbackHeader.fullIntraRequestFormat):
            self = .fullIntraRequest(try FullIntraRequest(validating: packet))
        case (RTCPHeader.payloadFeedback, FeedbackHeader.applicationLayerFormat) where REMB.isREMB(packet):
            self = .receiverEstimatedMaximumBitrate(try REMB(validating: packet))
        default:
            self = .opaque(try RTCPOpaquePacket(validating: packet))
        }
    }

    public var encodedLength: Int {
        switch self {
        case .senderReport(let p): p.encodedLength
        case .receiverReport(let p): p.encodedLength
        case .sourceDescription(let p): p.encodedLength
        case .goodbye(let p): p.encodedLength
        case .applicationDefined(let p): p.encodedLength
        case .genericNACK(let p): p.encodedLength
        case .transportWideFeedback(let p): p.encodedLength
        case .pictureLossIndication(let p): p.encodedLength
        case .fullIntraRequest(let p): p.encodedLength
        case .receiverEstimatedMaximumBitrate(let p): p.encodedLength
        case .opaque(let p): p.encodedLength
        }
    }

    public func write(into out: inout ByteBuffer) {
        switch self {
        case .senderReport(let p): p.write(into: &out)
        case .receiverReport(let p): p.write(into: &out)
        case .sourceDescription(let p): p.write(into: &out)
        case .goodbye(let p): p.write(into: &out)
        case .applicationDefined(let p): p.write(into: &out)
        case .genericNACK(let p): p.write(into: &out)
        case .transportWideFeedback(let p): p.write(into: &out)
        case .pictureLossIndication(let p): p.write(into: &out)
        case .fullIntraRequest(let p): p.write(into: &out)
        case .receiverEstimatedMaximumBitrate(let p): p.write(into: &out)
        case .opaque(let p): p.write(into: &out)
        }
    }
}
