/// Which codec's rules read a video packet's payload: where a key frame starts (where a
/// consumer may switch to another simulcast stream) and which temporal layer a frame
/// belongs to.
public enum VideoPayloadFormat: Sendable, Equatable {
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
        self.layers(of: packet).isKeyFrame
    }

    /// What `packet`'s payload descriptor says of its frame; a payload that does not parse
    /// is a base-layer packet of no key frame, with nothing to renumber.
    @inlinable
    public func layers(of packet: RTPPacket) -> PacketLayers {
        switch self {
        case .none: return PacketLayers()
        case .vp8, .vp9, .h264, .av1: return packet.withPayloadBytes { self.layers(ofPayload: $0) }
        }
    }

    /// What an RTP payload's descriptor says of its frame.
    public func layers(ofPayload payload: UnsafeRawBufferPointer) -> PacketLayers {
        switch self {
        case .vp8:
            guard let descriptor = try? VP8PayloadDescriptor(validating: payload) else { return PacketLayers() }
            return PacketLayers(descriptor)
        case .vp9:
            guard let descriptor = try? VP9PayloadDescriptor(validating: payload) else { return PacketLayers() }
            return PacketLayers(descriptor)
        case .h264:
            return PacketLayers(isKeyFrame: (try? H264KeyFrameDetector.isKeyFrame(payload)) ?? false)
        case .av1:
            return PacketLayers(isKeyFrame: (try? AV1KeyFrameDetector.isKeyFrame(payload)) ?? false)
        case .none:
            return PacketLayers()
        }
    }

    /// The picture size a key frame's first packet states (VP8's key frame header, VP9's
    /// scalability structure: its highest spatial layer); `nil` for other packets and
    /// codecs.
    public func keyFrameSize(of packet: RTPPacket) -> FrameSize? {
        self.keyFrameSizes(of: packet).last
    }

    /// The picture sizes a key frame's first packet states, lowest spatial layer first:
    /// VP8's one, VP9's per spatial layer (its scalability structure); none for other
    /// packets and codecs.
    public func keyFrameSizes(of packet: RTPPacket) -> [FrameSize] {
        packet.withPayloadBytes { payload in
            switch self {
            case .vp8:
                // After the descriptor: a 3-byte frame tag, the start code 9D 01 2A, then
                // 14-bit width and height, little-endian (RFC 6386 §9.1).
                guard let descriptor = try? VP8PayloadDescriptor(validating: payload), descriptor.isKeyFrame else {
                    return []
                }
                let start = descriptor.length
                guard payload.count >= start + 10, payload[start + 3] == 0x9D, payload[start + 4] == 0x01,
                    payload[start + 5] == 0x2A
                else { return [] }
                let width = Int(payload[start + 6]) | Int(payload[start + 7] & 0x3F) << 8
                let height = Int(payload[start + 8]) | Int(payload[start + 9] & 0x3F) << 8
                return width > 0 && height > 0 ? [FrameSize(width: width, height: height)] : []
            case .vp9:
                guard let descriptor = try? VP9PayloadDescriptor(validating: payload),
                    descriptor.resolutions.allSatisfy({ $0.width > 0 && $0.height > 0 })
                else { return [] }
                return descriptor.resolutions.map { FrameSize(width: Int($0.width), height: Int($0.height)) }
            case .h264, .av1, .none:
                return []
            }
        }
    }
}

/// A video picture's size in pixels.
public struct FrameSize: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
