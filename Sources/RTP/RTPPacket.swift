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
    @inlinable
    public init(validating buffer: ByteBuffer) throws(RTPParseError) {
        let layout = buffer.withUnsafeReadableBytes { Layout(validating: $0) }
        if let error = layout.error { throw error }
        self.buffer = buffer
        self.extensionOffset = layout.extensionOffset
        self.payloadOffset = layout.payloadOffset
        self.paddingCount = layout.paddingCount
    }

    /// Where the parts of a packet start, found in one pass over raw bytes.
    @usableFromInline
    struct Layout {
        @usableFromInline var extensionOffset: Int32 = -1
        @usableFromInline var payloadOffset: Int32 = 0
        @usableFromInline var paddingCount: Int32 = 0
        @usableFromInline var error: RTPParseError?

        @inlinable
        init(validating bytes: UnsafeRawBufferPointer) {
            let length = bytes.count
            guard length >= 12 else {
                self.error = .truncatedHeader
                return
            }
            let b0 = bytes[0]
            guard b0 >> 6 == 2 else {
                self.error = .badVersion
                return
            }
            var offset = 12 &+ 4 &* Int(b0 & 0x0F)
            guard offset <= length else {
                self.error = .truncatedCSRCList
                return
            }
            if b0 & 0x10 != 0 {
                guard offset &+ 4 <= length else {
                    self.error = .truncatedExtension
                    return
                }
                let words = Int(bytes[offset &+ 2]) << 8 | Int(bytes[offset &+ 3])
                let end = offset &+ 4 &+ 4 &* words
                guard end <= length else {
                    self.error = .truncatedExtension
                    return
                }
                let profile = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset &+ 1])
                guard RTPHeaderExtensions.isWellFormed(bytes, profile: profile, from: offset &+ 4, to: end) else {
                    self.error = .malformedExtensionElement
                    return
                }
                self.extensionOffset = Int32(offset)
                offset = end
            }
            if b0 & 0x20 != 0 {
                let count = Int(bytes[length &- 1])
                guard count > 0, count <= length &- offset else {
                    self.error = .badPadding
                    return
                }
                self.paddingCount = Int32(count)
            }
            self.payloadOffset = Int32(offset)
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
