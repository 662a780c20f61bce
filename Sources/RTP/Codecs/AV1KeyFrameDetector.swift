/// Key-frame detection for AV1 RTP payloads (AV1 RTP specification §4.4).
///
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// |Z|Y| W |N|-|-|-|  aggregation header
/// +-+-+-+-+-+-+-+-+
/// ```
/// N = 1 marks the first packet of a coded video sequence, which starts with a key
/// frame. When N is clear, a packet whose first complete OBU is a sequence header
/// (type 1) is treated as a key frame too.
public enum AV1KeyFrameDetector {
    public static let sequenceHeaderOBU: UInt8 = 1

    public static func isKeyFrame(_ payload: UnsafeRawBufferPointer) throws(CodecParseError) -> Bool {
        guard let header = payload.first else { throw .emptyPayload }
        if header & 0x08 != 0 { return true }
        guard header & 0x80 == 0 else { return false }  // Z: first OBU continues an earlier one
        var index = 1
        if (header >> 4) & 0x03 == 0 {
            // W = 0: each OBU element is preceded by a LEB128 length.
            while index < payload.count, payload[index] & 0x80 != 0 { index += 1 }
            index += 1
        }
        guard index < payload.count else { throw .truncatedDescriptor }
        return (payload[index] >> 3) & 0x0F == Self.sequenceHeaderOBU
    }
}
