/// Which codec's rules tell the first packet of a key frame, the point where a decoder
/// can start: where a consumer may switch to another simulcast stream.
public enum KeyFrameDetection: Sendable, Equatable {
    case vp8
    case vp9
    case h264
    case av1
    /// Audio, or a codec the server cannot read: no packet starts a key frame.
    case none

    /// The rules for a codec by its SDP name (`VP8`, `H264`, ...), case-insensitive.
    public init(codecName: String) {
        switch codecName.uppercased() {
        case "VP8": self = .vp8
        case "VP9": self = .vp9
        case "H264": self = .h264
        case "AV1": self = .av1
        default: self = .none
        }
    }

    /// Whether `packet` starts a key frame; a payload that does not parse does not.
    public func startsKeyFrame(_ packet: RTPPacket) -> Bool {
        packet.withPayloadBytes { payload in
            switch self {
            case .vp8: (try? VP8PayloadDescriptor(validating: payload))?.isKeyFrame ?? false
            case .vp9: (try? VP9PayloadDescriptor(validating: payload))?.isKeyFrame ?? false
            case .h264: (try? H264KeyFrameDetector.isKeyFrame(payload)) ?? false
            case .av1: (try? AV1KeyFrameDetector.isKeyFrame(payload)) ?? false
            case .none: false
            }
        }
    }
}
