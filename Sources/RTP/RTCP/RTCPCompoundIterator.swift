public import NIOCore

/// Walks the packets of a compound RTCP datagram (RFC 3550 §6.1), including reduced-size
/// datagrams of a single feedback packet (RFC 5506 §3).
///
/// `nextHeader()` only splits the datagram (the cheap path for routing by type);
/// `next()` parses each packet. Both stop at the first malformed packet with its error:
/// the lengths after a lying length field cannot be trusted.
public struct RTCPCompoundIterator: Sendable {
    @usableFromInline var remaining: ByteBuffer

    public init(_ datagram: ByteBuffer) {
        self.remaining = datagram
    }

    /// The next packet's header and bytes, or `nil` at the end.
    public mutating func nextHeader() throws(RTCPParseError) -> (header: RTCPHeader, bytes: ByteBuffer)? {
        guard self.remaining.readableBytes > 0 else { return nil }
        let header = try RTCPHeader(validating: self.remaining)
        guard let bytes = self.remaining.readSlice(length: header.packetLength) else { throw .lengthPastEnd }
        return (header, bytes)
    }

    /// The next packet, parsed, or `nil` at the end.
    public mutating func next() throws(RTCPParseError) -> RTCPPacket? {
        guard let (_, bytes) = try self.nextHeader() else { return nil }
        return try RTCPPacket(validating: bytes)
    }

    /// Every packet of `datagram`, or the first error.
    public static func parse(_ datagram: ByteBuffer) throws(RTCPParseError) -> [RTCPPacket] {
        var iterator = RTCPCompoundIterator(datagram)
        var packets: [RTCPPacket] = []
        while let packet = try iterator.next() { packets.append(packet) }
        return packets
    }

    /// Writes `packets` back to back as one compound datagram.
    public static func write(_ packets: [RTCPPacket], into out: inout ByteBuffer) {
        for packet in packets { packet.write(into: &out) }
    }
}
