public import NIOCore

/// RTCP BYE (RFC 3550 §6.6), PT = 203.
///
/// ```
/// |V=2|P|    SC   |   PT=BYE=203  |             length            |
/// |                           SSRC/CSRC                           |
/// :                              ...                              :
/// |     length    |               reason for leaving            ...
/// ```
public struct Goodbye: Equatable, Sendable {
    public var sources: [SSRC]
    /// The reason's bytes as sent (at most 255). NOTE: kept as bytes, not a `String`:
    /// decoding invalid UTF-8 would change them, so a relayed BYE would differ.
    public var reason: [UInt8]?

    public init(sources: [SSRC], reason: String? = nil) {
        self.sources = sources
        self.reason = reason.map { Array($0.utf8.prefix(255)) }
    }

    /// The reason decoded as UTF-8, invalid sequences replaced.
    public var reasonText: String? {
        self.reason.map { String(decoding: $0, as: UTF8.self) }
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: RTCPHeader.goodbye)
        self.sources = []
        for _ in 0..<header.count { self.sources.append(try body.readInteger(or: .malformedGoodbye)) }
        self.reason = nil
        if let length = body.readInteger(as: UInt8.self) {
            guard let text = body.readBytes(length: Int(length)) else { throw .malformedGoodbye }
            self.reason = text
        }
    }

    var reasonBytes: [UInt8] { Array((self.reason ?? []).prefix(255)) }

    public var encodedLength: Int {
        let reason = self.reason == nil ? 0 : 1 + self.reasonBytes.count
        return 4 + 4 * self.sources.count + (reason + 3) / 4 * 4
    }

    public func write(into out: inout ByteBuffer) {
        precondition(self.sources.count <= 31, "a BYE names at most 31 sources")
        RTCPHeader.write(
            count: UInt8(self.sources.count),
            packetType: RTCPHeader.goodbye,
            packetLength: self.encodedLength,
            into: &out
        )
        for source in self.sources { out.writeInteger(source) }
        if self.reason != nil {
            let bytes = self.reasonBytes
            out.writeInteger(UInt8(bytes.count))
            out.writeBytes(bytes)
            out.writeRepeatingByte(0, count: (4 - (1 + bytes.count) % 4) % 4)
        }
    }
}
