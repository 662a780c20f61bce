public import NIOCore

/// The header-extension block of an RTP packet (RFC 8285 §4), as a view.
///
/// One-byte form (profile `0xBEDE`), elements of 1–16 bytes with ids 1–14:
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       0xBE    |    0xDE       |           length=3            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | L=0   |     data      |  ID   |  L=1  |   data...
/// ```
/// Two-byte form (profile `0x100` + 4 app bits), elements of 0–255 bytes with ids 1–255:
/// ```
/// |       0x10    |    0x0 appbits|           length=3            |
/// |      ID       |     L=0       |       ID      |     L=1       |
/// ```
/// Id 0 is padding in both forms; id 15 ends a one-byte block.
public struct RTPHeaderExtensions: Sendable {
    /// The two forms RFC 8285 defines, and anything else a sender may put there.
    public enum Form: Equatable, Sendable {
        case oneByte
        case twoByte(appBits: UInt8)
        case other(profile: UInt16)
    }

    @usableFromInline let buffer: ByteBuffer
    /// Absolute index of the first element byte and one past the last.
    @usableFromInline let dataStart: Int
    @usableFromInline let dataEnd: Int
    public let form: Form

    @usableFromInline init(buffer: ByteBuffer, headerIndex: Int) {
        let profile = buffer.getInteger(at: headerIndex, as: UInt16.self) ?? 0
        let words = buffer.getInteger(at: headerIndex + 2, as: UInt16.self) ?? 0
        self.buffer = buffer
        self.dataStart = headerIndex + 4
        self.dataEnd = headerIndex + 4 + 4 * Int(words)
        if profile == 0xBEDE {
            self.form = .oneByte
        } else if profile & 0xFFF0 == 0x1000 {
            self.form = .twoByte(appBits: UInt8(profile & 0x0F))
        } else {
            self.form = .other(profile: profile)
        }
    }

    /// The profile field as sent.
    public var profile: UInt16 {
        switch self.form {
        case .oneByte: 0xBEDE
        case .twoByte(let bits): 0x1000 | UInt16(bits)
        case .other(let profile): profile
        }
    }

    /// The raw bytes after the 4-byte extension header (elements and padding).
    public var rawData: ByteBuffer {
        self.buffer.getSlice(at: self.dataStart, length: self.dataEnd - self.dataStart) ?? ByteBuffer()
    }

    /// Calls `body(id, absoluteOffset, length)` for each element until it returns `false`.
    ///
    /// - Returns: `false` when an element's length runs past the block.
    @inlinable @discardableResult
    func forEachElement(_ body: (UInt8, Int, Int) -> Bool) -> Bool {
        let profile = self.profile
        let (start, end, base) = (self.dataStart, self.dataEnd, self.buffer.readerIndex)
        return self.buffer.withUnsafeReadableBytes { bytes in
            Self.walk(bytes, profile: profile, from: start &- base, to: end &- base) { id, offset, length in
                body(id, offset &+ base, length)
            }
        }
    }

    /// Whether every element of the block in `bytes[start..<end]` fits inside it: the
    /// validation `walk` does, without a closure, for the per-packet check.
    @inlinable
    static func isWellFormed(_ bytes: UnsafeRawBufferPointer, profile: UInt16, from start: Int, to end: Int) -> Bool {
        guard end <= bytes.count, start <= end else { return false }
        var index = start
        if profile == 0xBEDE {
            while index < end {
                let b = bytes[index]
                if b >> 4 == 15 { return true }
                // Padding (id 0) is one byte whatever its length nibble; see `walk`.
                index &+= b >> 4 == 0 ? 1 : 2 &+ Int(b & 0x0F)
            }
            return index == end
        } else if profile & 0xFFF0 == 0x1000 {
            while index < end {
                if bytes[index] == 0 {
                    index &+= 1
                    continue
                }
                guard index &+ 2 <= end else { return false }
                index &+= 2 &+ Int(bytes[index &+ 1])
            }
            return index == end
        }
        return true
    }

    /// Walks the elements of an extension block in `bytes[start..<end]` (offsets relative
    /// to `bytes`), calling `body(id, offset, length)` until it returns `false`.
    ///
    /// - Returns: `false` when an element's length runs past the block.
    @inlinable
    static func walk(
        _ bytes: UnsafeRawBufferPointer,
        profile: UInt16,
        from start: Int,
        to end: Int,
        _ body: (UInt8, Int, Int) -> Bool
    ) -> Bool {
        guard end <= bytes.count, start <= end else { return false }
        var index = start
        if profile == 0xBEDE {
            while index < end {
                let b = bytes[index]
                let id = b >> 4
                if id == 0 {
                    // Padding. NOTE: a nonzero length nibble on id 0 is skipped as one
                    // byte too, as libwebrtc does; id 0 is never an element.
                    index &+= 1
                    continue
                }
                if id == 15 { return true }  // RFC 8285 §4.2: stop processing
                let length = Int(b & 0x0F) &+ 1
                guard index &+ 1 &+ length <= end else { return false }
                if !body(id, index &+ 1, length) { return true }
                index &+= 1 &+ length
            }
        } else if profile & 0xFFF0 == 0x1000 {
            while index < end {
                let id = bytes[index]
                if id == 0 {
                    index &+= 1
                    continue
                }
                guard index &+ 2 <= end else { return false }
                let length = Int(bytes[index &+ 1])
                guard index &+ 2 &+ length <= end else { return false }
                if !body(id, index &+ 2, length) { return true }
                index &+= 2 &+ length
            }
        }
        return true
    }

    /// The absolute byte range of the value of element `id` in the packet's buffer.
    @inlinable public func valueRange(id: UInt8) -> Range<Int>? {
        var found: Range<Int>?
        self.forEachElement { elementID, offset, length in
            guard elementID == id else { return true }
            found = offset..<(offset + length)
            return false
        }
        return found
    }

    /// The value of element `id`, as a slice sharing the packet's storage.
    @inlinable public func value(id: UInt8) -> ByteBuffer? {
        guard let range = self.valueRange(id: id) else { return nil }
        return self.buffer.getSlice(at: range.lowerBound, length: range.count)
    }

    /// Every element, copied out (control path: allocates).
    public var elements: [RTPHeaderExtensionElement] {
        var result: [RTPHeaderExtensionElement] = []
        self.forEachElement { id, offset, length in
            result.append(
                RTPHeaderExtensionElement(id: id, value: self.buffer.getBytes(at: offset, length: length) ?? [])
            )
            return true
        }
        return result
    }
}

extension RTPPacket {
    /// The header-extension block, or `nil` when the X bit is clear.
    @inlinable public var headerExtensions: RTPHeaderExtensions? {
        guard self.extensionOffset >= 0 else { return nil }
        return RTPHeaderExtensions(buffer: self.buffer, headerIndex: self.start + Int(self.extensionOffset))
    }

    /// The value of header-extension element `id`, as a slice sharing the packet's storage.
    @inlinable public func headerExtension(id: UInt8) -> ByteBuffer? {
        self.headerExtensions?.value(id: id)
    }
}
