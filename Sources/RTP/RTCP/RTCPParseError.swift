/// Why bytes are not a valid RTCP packet (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3).
public enum RTCPParseError: Error, Equatable, Sendable {
    /// Fewer than the 4 bytes of the common header.
    case truncatedHeader
    /// The version field is not 2.
    case badVersion
    /// The length field claims more bytes than the datagram holds.
    case lengthPastEnd
    /// The padding count is zero or larger than the packet body.
    case badPadding
    /// A type-specific parser was handed a packet of another type or format.
    case wrongPacketType
    /// The body is shorter than the fixed part of its packet type.
    case truncatedBody
    /// The report count needs more report blocks than the body holds.
    case reportBlocksPastEnd
    /// An SDES chunk or item runs past the end.
    case malformedSourceDescription
    /// A BYE source list or reason runs past the end.
    case malformedGoodbye
    /// Feedback control information is not a whole number of entries.
    case malformedFeedbackEntries
    /// A REMB block lacks its identifier or its SSRC list runs past the end.
    case malformedREMB
    /// Transport-wide feedback chunks or deltas run past the end, or use a reserved symbol.
    case malformedTransportFeedback
}
