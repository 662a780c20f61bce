public import NIOCore

/// RTCP source description (RFC 3550 §6.5), PT = 202.
///
/// ```
/// |V=2|P|    SC   |  PT=SDES=202  |             length            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                          SSRC/CSRC_1                          |
/// |    type (8)   |   length (8)  |  text …                       |
/// |    …  0 (END) | null padding to the next 32-bit boundary      |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// ```
public struct SourceDescription: Equatable, Sendable {
    /// One SDES item: CNAME = 1, NAME = 2, … PRIV = 8.
    public struct Item: Equatable, Sendable {
        public static let cname: UInt8 = 1
        public var type: UInt8
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public init(cname: String) {
            self.init(type: Self.cname, value: Array(cname.utf8))
        }
    }

    public struct Chunk: Equatable, Sendable {
        public var source: SSRC
        public var items: [Item]

        public init(source: SSRC, items: [Item]) {
            self.source = source
            self.items = items
        }

        var encodedLength: Int {
            let raw = 4 + self.items.reduce(0) { $0 + 2 + $1.value.count } + 1  // + END
            return (raw + 3) / 4 * 4
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) {
        self.chunks = chunks
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        var (header, body) = try RTCPHeader.body(of: packet, expecting: RTCPHeader.sourceDescription)
        self.chunks = []
        for _ in 0..<header.count {
            let chunkStart = body.readerIndex
            let source: UInt32 = try body.readInteger(or: .malformedSourceDescription)
            var items: [Item] = []
            while true {
                let type: UInt8 = try body.readInteger(or: .malformedSourceDescription)
                if type == 0 { break }
                let length: UInt8 = try body.readInteger(or: .malformedSourceDescription)
                guard let value = body.readBytes(length: Int(length)) else { throw .malformedSourceDescription }
                items.append(Item(type: type, value: value))
            }
            let used = body.readerIndex - chunkStart
            let padding = (4 - used % 4) % 4
            guard body.readableBytes >= padding else { throw .malformedSourceDescription }
            body.moveReaderIndex(forwardBy: padding)
            self.chunks.append(Chunk(source: source, items: items))
        }
    }

    /// The first CNAME item of the chunk for `source`.
    public func cname(of source: SSRC) -> String? {
        guard let chunk = self.chunks.first(where: { $0.source == source }),
            let item = chunk.items.first(where: { $0.type == Item.cname })
        else { return nil }
        return String(decoding: item.value, as: UTF8.self)
    }

    public var encodedLength: Int { 4 + self.chunks.reduce(0) { $0 + $1.encodedLength } }

    public func write(into out: inout ByteBuffer) {
        precondition(self.chunks.count <= 31, "an SDES packet carries at most 31 chunks")
        RTCPHeader.write(
            count: UInt8(self.chunks.count),
            packetType: RTCPHeader.sourceDescription,
            packetLength: self.encodedLength,
            into: &out
        )
        for chunk in self.chunks {
            let start = out.writerIndex
            out.writeInteger(chunk.source)
            for item in chunk.items {
                precondition(item.value.count <= 255, "an SDES item holds at most 255 bytes")
                out.writeInteger(item.type)
                out.writeInteger(UInt8(item.value.count))
                out.writeBytes(item.value)
            }
            out.writeInteger(UInt8(0))
            out.writeRepeatingByte(0, count: chunk.encodedLength - (out.writerIndex - start))
        }
    }
}
