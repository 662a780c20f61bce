public import NIOCore

/// An RTCP packet kept as bytes: extended reports (XR, RFC 3611), feedback formats
/// SwiftSFU does not interpret, and unknown packet types.
public struct RTCPOpaquePacket: Equatable, Sendable {
    public var header: RTCPHeader
    /// The whole packet, header included.
    public var bytes: ByteBuffer

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let header = try RTCPHeader(validating: packet)
        guard let bytes = packet.getSlice(at: packet.readerIndex, length: header.packetLength) else {
            throw .lengthPastEnd
        }
        self.header = header
        self.bytes = bytes
    }

    public var encodedLength: Int { self.bytes.readableBytes }

    public func write(into out: inout ByteBuffer) {
        out.writeImmutableBuffer(self.bytes)
    }
}
