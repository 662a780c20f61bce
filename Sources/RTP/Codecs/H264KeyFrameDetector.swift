/// Key-frame detection for H.264 RTP payloads (RFC 6184 §5.6–5.8).
///
/// ```
/// NAL unit header:        FU-A:
/// +---------------+       +---------------+---------------+
/// |F|NRI|  Type   |       | FU indicator  |S|E|R|  Type   |
/// +---------------+       | (Type = 28)   |  FU header    |
///                         +---------------+---------------+
/// STAP-A (Type = 24): header byte, then (16-bit size, NAL unit)*
/// ```
/// A packet starts a key frame when it carries an IDR slice (type 5) or a sequence
/// parameter set (type 7): directly, inside a STAP-A, or as the first fragment of an FU-A.
public enum H264KeyFrameDetector {
    public static let idrSlice: UInt8 = 5
    public static let sequenceParameterSet: UInt8 = 7
    public static let stapA: UInt8 = 24
    public static let fuA: UInt8 = 28

    /// Whether `payload` starts a key frame. Malformed aggregates throw.
    public static func isKeyFrame(_ payload: UnsafeRawBufferPointer) throws(CodecParseError) -> Bool {
        guard let header = payload.first else { throw .emptyPayload }
        switch header & 0x1F {
        case 1...23:
            return Self.isKeyFrameNAL(header & 0x1F)
        case Self.stapA:
            var index = 1
            var found = false
            while index < payload.count {
                guard index + 2 < payload.count else { throw .truncatedAggregate }
                let size = Int(payload[index]) << 8 | Int(payload[index + 1])
                guard size > 0, index + 2 + size <= payload.count else { throw .truncatedAggregate }
                if Self.isKeyFrameNAL(payload[index + 2] & 0x1F) { found = true }
                index += 2 + size
            }
            return found
        case Self.fuA:
            guard payload.count >= 2 else { throw .truncatedDescriptor }
            let fuHeader = payload[1]
            return fuHeader & 0x80 != 0 && Self.isKeyFrameNAL(fuHeader & 0x1F)
        default:
            return false
        }
    }

    static func isKeyFrameNAL(_ type: UInt8) -> Bool {
        type == Self.idrSlice || type == Self.sequenceParameterSet
    }
}
