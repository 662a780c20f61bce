public import NIOCore

/// The common header of every RTCP packet (RFC 3550 §6.4.1).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P| RC/FMT  |      PT       |     length (32-bit words − 1) |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct RTCPHeader: Equatable, Sendable {
    /// Report count, source count, APP subtype or feedback message type (5 bits).
    public var count: UInt8
    public var packetType: UInt8
    /// Whole packet length in bytes, header and padding included.
    public var packetLength: Int
    public var hasPadding: Bool

    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let goodbye: UInt8 = 203
    public static let applicationDefined: UInt8 = 204
    public static let transportFeedback: UInt8 = 205
    public static let payloadFeedback: UInt8 = 206
    public static let extendedReport: UInt8 = 207

    /// Reads the header at the reader index of `bytes` and checks that the declared
    /// length fits.
    public init(validating bytes: ByteBuffer) throws(RTCPParseError) {
        guard let word = bytes.getInteger(at: bytes.readerIndex, as: UInt32.self) else { throw .truncatedHeader }
        guard word >> 30 == 2 else { throw .badVersion }
        self.hasPadding = word & 0x2000_0000 != 0
        self.count = UInt8(word >> 24 & 0x1F)
        self.packetType = UInt8(word >> 16 & 0xFF)
        self.packetLength = (Int(word & 0xFFFF) + 1) * 4
        guard self.packetLength <= bytes.readableBytes else { throw .lengthPastEnd }
    }

    init(count: UInt8, packetType: UInt8, packetLength: Int) {
        self.count = count
        self.packetType = packetType
        self.packetLength = packetLength
        self.hasPadding = false
    }

    /// Writes a header for a packet of `packetLength` bytes (a multiple of 4, no padding).
    static func write(count: UInt8, packetType: UInt8, packetLength: Int, into out: inout ByteBuffer) {
        precondition(packetLength % 4 == 0 && packetLength >= 4, "RTCP packets are whole 32-bit words")
        out.writeInteger(UInt8(0x80 | (count & 0x1F)))
        out.writeInteger(packetType)
        out.writeInteger(UInt16(packetLength / 4 - 1))
    }

    /// The body of one packet (after the 4-byte header, without padding), validated.
    static func body(of packet: ByteBuffer, expecting type: UInt8) throws(RTCPParseError) -> (RTCPHeader, ByteBuffer) {
        let header = try RTCPHeader(validating: packet)
        guard header.packetType == type else { throw .wrongPacketType }
        var bodyLength = header.packetLength - 4
        if header.hasPadding {
            guard let pad = packet.getInteger(at: packet.readerIndex + header.packetLength - 1, as: UInt8.self),
                pad > 0, Int(pad) <= bodyLength
            else { throw .badPadding }
            bodyLength -= Int(pad)
        }
        guard let body = packet.getSlice(at: packet.readerIndex + 4, length: bodyLength) else { throw .lengthPastEnd }
        return (header, body)
    }
}

extension ByteBuffer {
    /// Reads an integer or throws `error`: the RTCP parsers' one bounds check.
    @inlinable mutating func readInteger<T: FixedWidthInteger>(
        as: T.Type = T.self,
        or error: RTCPParseError
    ) throws(RTCPParseError) -> T {
        guard let value = self.readInteger(as: T.self) else { throw error }
        return value
    }
}
