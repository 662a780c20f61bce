/// Why an RTP payload does not hold a valid payload descriptor for its codec.
public enum CodecParseError: Error, Equatable, Sendable {
    /// The payload ends inside the descriptor.
    case truncatedDescriptor
    /// The payload is empty.
    case emptyPayload
    /// A length inside an aggregation packet points past the end.
    case truncatedAggregate
}
