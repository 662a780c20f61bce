/// The Opus table-of-contents byte (RFC 6716 §3.1).
///
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// | config  |s| c |
/// +-+-+-+-+-+-+-+-+
/// ```
public struct OpusTOC: Equatable, Sendable {
    public enum Mode: Equatable, Sendable { case silk, hybrid, celt }

    /// Configuration number 0–31: mode, bandwidth and frame size (RFC 6716 Table 2).
    public var configuration: UInt8
    public var isStereo: Bool
    /// Frame-count code: 0 one frame, 1 two equal, 2 two different, 3 arbitrary.
    public var frameCountCode: UInt8

    public init(_ byte: UInt8) {
        self.configuration = byte >> 3
        self.isStereo = byte & 0x04 != 0
        self.frameCountCode = byte & 0x03
    }

    public init(validating payload: UnsafeRawBufferPointer) throws(CodecParseError) {
        guard let byte = payload.first else { throw .emptyPayload }
        self.init(byte)
    }

    public var mode: Mode {
        switch self.configuration {
        case 0...11: .silk
        case 12...15: .hybrid
        default: .celt
        }
    }

    /// Duration of one frame.
    public var frameDuration: Duration {
        switch self.configuration {
        case 0...11:
            [.milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(60)][Int(self.configuration % 4)]
        case 12...15: self.configuration % 2 == 0 ? .milliseconds(10) : .milliseconds(20)
        default:
            [.microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(20)][Int(self.configuration % 4)]
        }
    }

    /// Whether an Opus RTP payload is a discontinuous-transmission (comfort) packet:
    /// browsers send a TOC byte and at most one more byte while DTX holds silence.
    public static func isDTX(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count <= 2
    }
}
