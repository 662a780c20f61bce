/// Reads a codec payload descriptor byte by byte, throwing when it ends early.
struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    /// The next byte to read; after parsing, the descriptor's length.
    private(set) var index: Int

    init(_ bytes: UnsafeRawBufferPointer, from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    mutating func next() throws(CodecParseError) -> UInt8 {
        guard self.index < self.bytes.count else { throw .truncatedDescriptor }
        defer { self.index += 1 }
        return self.bytes[self.index]
    }

    /// A 7- or 15-bit picture id whose first byte's top bit (M) says which.
    mutating func pictureID() throws(CodecParseError) -> (id: UInt16, isLong: Bool) {
        let first = try self.next()
        guard first & 0x80 != 0 else { return (UInt16(first), false) }
        return (UInt16(first & 0x7F) << 8 | UInt16(try self.next()), true)
    }
}
