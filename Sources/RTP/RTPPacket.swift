public import NIOCore

/// The synchronization source identifier of an RTP stream (RFC 3550 §3).
public typealias SSRC = UInt32

/// A validated, zero-copy view of one RTP packet (RFC 3550 §5.1).
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers  (CC × 32)  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  header extension (if X): profile | length | elements…        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  payload …                    | padding (if P) … | pad count  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// The packet is the readable bytes of `buffer`. Validation happens once, in
/// `init(validating:)`; afterwards every accessor reads at offsets proven in range, and
/// the in-place setters only overwrite fixed-size fields, so they never move bytes.
public struct RTPPacket: Sendable {
    @usableFromInline var buffer: ByteBuffer
    /// Offset of the 4-byte extension header from the first byte, or -1 without one.
    @usableFromInline let extensionOffset: Int32
    /// Offset of the first payload byte from the first byte.
    @usableFromInline let payloadOffset: Int32
    /// Number of padding bytes at the end, including the count byte.
    @usableFromInline let paddingCount: Int32

    /// Validates `buffer`'s readable bytes as one RTP packet.
    public init(validating buffer: ByteBuffer) throws(RTPParseError) {
        let start = buffer.readerIndex
        let length = buffer.readableBytes
        guard length >= 12, let b0 = buffer.getInteger(at: start, as: UInt8.self) else { throw .truncatedHeader }
        guard b0 >> 6 == 2 else { throw .badVersion }
        var offset = 12 + 4 * Int(b0 & 0x0F)
        guard offset <= length else { throw .truncatedCSRCList }
        var extensionOffset: Int32 = -1
        if b0 & 0x10 != 0 {
            guard offset + 4 <= length,
                let words = buffer.getInteger(at: start + offset + 2, as: UInt16.self)
            else { throw .truncatedExtension }
            let end = offset + 4 + 4 * Int(words)
            guard end <= length else { throw .truncatedExtension }
            extensionOffset = Int32(offset)
            offset = end
        }
        var paddingCount: Int32 = 0
        if b0 & 0x20 != 0 {
            guard let count = buffer.getInteger(at: start + length - 1, as: UInt8.self),
                count > 0, Int(count) <= length - offset
            else { throw .badPadding }
            paddingCount = Int32(count)
        }
        self.buffer = buffer
        self.extensionOffset = extensionOffset
        self.payloadOffset = Int32(offset)
        self.paddingCount = paddingCount
        if extensionOffset >= 0 {
            guard self.headerExtensions?.isWellFormed ?? true else { throw .malformedExtensionElement }
        }
    }

    // MARK: - Fixed header

    @inlinable var start: Int { self.buffer.readerIndex }

    @inlinable func byte(_ offset: Int) -> UInt8 {
        self.buffer.getInteger(at: self.start + offset, as: UInt8.self)!  // offset < 12, checked in init
    }

    /// The whole packet, header to padding.
    @inlinable public var bytes: ByteBuffer { self.buffer }

    /// Length of the whole packet in bytes.
    @inlinable public var length: Int { self.buffer.readableBytes }

    /// The P bit: the packet ends in padding.
    @inlinable public var hasPadding: Bool { self.paddingCount > 0 }

    /// The X bit: a header extension follows the CSRC list.
    @inlinable public var hasExtension: Bool { self.extensionOffset >= 0 }

    /// The number of contributing sources.
    @inlinable public var csrcCount: Int { Int(self.byte(0) & 0x0F) }

    /// The M bit; for video, the last packet of a frame.
    @inlinable public var marker: Bool { self.byte(1) & 0x80 != 0 }

    /// The 7-bit payload type.
    @inlinable public var payloadType: UInt8 { self.byte(1) & 0x7F }

    @inlinable public var sequenceNumber: SequenceNumber {
        SequenceNumber(self.buffer.getInteger(at: self.start + 2, as: UInt16.self)!)  // checked in init
    }

    @inlinable public var timestamp: RTPTimestamp {
        RTPTimestamp(self.buffer.getInteger(at: self.start + 4, as: UInt32.self)!)  // checked in init
    }

    @inlinable public var ssrc: SSRC {
        self.buffer.getInteger(at: self.start + 8, as: UInt32.self)!  // checked in init
    }

    /// The contributing sources, in order.
    public var csrcs: [SSRC] {
        (0..<self.csrcCount).map { self.buffer.getInteger(at: self.start + 12 + 4 * $0, as: UInt32.self)! }  // in init
    }

    // MARK: - Payload

    /// Offset of the first payload byte from the start of the packet (the header length).
    @inlinable public var headerLength: Int { Int(self.payloadOffset) }

    /// Number of padding bytes, including the final count byte.
    @inlinable public var paddingLength: Int { Int(self.paddingCount) }

    /// Length of the payload, without header and padding.
    @inlinable public var payloadLength: Int {
        self.buffer.readableBytes - Int(self.payloadOffset) - Int(self.paddingCount)
    }

    /// The payload as a slice sharing the packet's storage.
    @inlinable public var payload: ByteBuffer {
        self.buffer.getSlice(at: self.start + Int(self.payloadOffset), length: self.payloadLength)!  // in init
    }

    /// Reads the payload bytes without copying them.
    @inlinable public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeReadableBytes { raw in
            let start = Int(self.payloadOffset)
            return try body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + self.payloadLength)]))
        }
    }
}
