/// A codec the recorder depacketizes.
public enum RecordedCodec: String, Sendable, Equatable {
    case vp8, vp9, h264, av1, opus

    /// The codec of an RTP payload format name (`a=rtpmap`), or nil for one it does not
    /// record.
    public init?(rtpName: String) {
        switch rtpName.lowercased() {
        case "vp8": self = .vp8
        case "vp9": self = .vp9
        case "h264": self = .h264
        case "av1", "av1x": self = .av1
        case "opus": self = .opus
        default: return nil
        }
    }

    public var isVideo: Bool { self != .opus }
}

/// One whole frame out of a track's packets: its bytes as the codec's decoder takes them,
/// and its RTP timestamp.
struct RecordedFrame {
    var data: [UInt8]
    var timestamp: UInt32
    var isKey: Bool
    /// A key frame's picture size, when its bytes state it.
    var size: (width: Int, height: Int)?
    /// Opus: how long the frame plays, in milliseconds.
    var duration: Int64 = 0
}
