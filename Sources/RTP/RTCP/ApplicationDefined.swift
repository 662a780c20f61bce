public import NIOCore

/// RTCP APP (RFC 3550 §6.7), PT = 204.
///
/// ```
/// |V=2|P| subtype |   PT=APP=204  |             length            |
/// |                           SSRC/CSRC                           |
/// |                          name (ASCII)                         |
/// |                   application-dependent data                ...
/// ```
public struct ApplicationDefined: Equatable, Sendable {
    public var subtype: UInt8
    public var source: SSRC
    /// Four ASCII bytes.
    public var name: [UInt8]
    /// Application data, a multiple of 4 bytes on the wire.
    public var data: [UInt8]

    public init(subtype: UInt8, source: SSRC, name: [UInt8], data: [UInt8]) {
        self.subtype = subtype
        self.source = source
        self.name = name
        self.data = data
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: RTCPHeader.applicationDefined)
        self.subtype = header.count
        self.source = try body.readInteger(or: .truncatedBody)
        guard let name = body.readBytes(length: 4) else { throw .truncatedBody }
        self.name = name
        self.data = body.readBytes(length: body.readableBytes) ?? []
    }

    public var encodedLength: Int { 12 + (self.data.count + 3) / 4 * 4 }

    public func write(into out: inout ByteBuffer) {
        precondition(self.name.count == 4, "an APP name is four bytes")
        RTCPHeader.write(
            count: self.subtype,
            packetType: RTCPHeader.applicationDefined,
            packetLength: self.encodedLength,
            into: &out
        )
        out.writeInteger(self.source)
        out.writeBytes(self.name)
        out.writeBytes(self.data)
        out.writeRepeatingByte(0, count: (4 - self.data.count % 4) % 4)
    }
}
