/// Why a datagram is not a valid RTP packet (RFC 3550 §5.1, RFC 8285).
///
/// Each case names what is wrong, so that a drop counter or a fuzz report says where
/// the bytes lied. Small and `Equatable` so that hot-path code can throw it typed.
public enum RTPParseError: Error, Equatable, Sendable {
    /// Fewer than the 12 bytes of the fixed header.
    case truncatedHeader
    /// The version field is not 2.
    case badVersion
    /// The CSRC count points past the end of the datagram.
    case truncatedCSRCList
    /// The header-extension header or its declared length runs past the end.
    case truncatedExtension
    /// An element inside the header extension has a length past the extension's end.
    case malformedExtensionElement
    /// The padding count is zero or larger than the payload.
    case badPadding
}
