public import NIOCore

/// RFC 6464 §3: voice activity flag and level in -dBov (0 loudest, 127 silence).
///
/// ```
///  0                   1
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  ID   | len=0 |V| level       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct AudioLevel: Equatable, Sendable {
    public var voiceActivity: Bool
    /// Level in -dBov, 0...127.
    public var level: UInt8

    public init(voiceActivity: Bool, level: UInt8) {
        self.voiceActivity = voiceActivity
        self.level = level & 0x7F
    }

    public var encoded: [UInt8] { [(self.voiceActivity ? 0x80 : 0) | self.level] }
}

/// 3GPP TS 26.114 §7.4.5: camera facing, horizontal flip and rotation.
/// Bits `0 0 0 0 C F R1 R0`; rotation in degrees is `R * 90`.
public struct VideoOrientation: Equatable, Sendable {
    public var isBackCamera: Bool
    public var isFlipped: Bool
    /// Clockwise rotation in degrees: 0, 90, 180 or 270.
    public var rotation: Int

    public init(isBackCamera: Bool = false, isFlipped: Bool = false, rotation: Int) {
        self.isBackCamera = isBackCamera
        self.isFlipped = isFlipped
        self.rotation = rotation
    }

    public var encoded: [UInt8] {
        [(self.isBackCamera ? 0x08 : 0) | (self.isFlipped ? 0x04 : 0) | UInt8((self.rotation / 90) & 0x03)]
    }
}

/// Playout delay limits: two 12-bit values in units of 10 ms.
public struct PlayoutDelay: Equatable, Sendable {
    public var minimum: Duration
    public var maximum: Duration

    public init(minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = maximum
    }

    public var encoded: [UInt8] {
        let lo = UInt32(clamping: Int((self.minimum / .milliseconds(10)).rounded())) & 0xFFF
        let hi = UInt32(clamping: Int((self.maximum / .milliseconds(10)).rounded())) & 0xFFF
        let value = lo << 12 | hi
        return [UInt8(value >> 16), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

extension RTPPacket {
    /// The absolute byte range of element `id`'s value when it is at least `length` bytes.
    /// Walks the raw bytes directly: the per-packet look-up (MID, rid, transport-cc).
    @inlinable func extensionValue(_ id: UInt8?, length: Int) -> Range<Int>? {
        guard let id, self.extensionOffset >= 0 else { return nil }
        let headerOffset = Int(self.extensionOffset)
        let found: Range<Int>? = self.buffer.withUnsafeReadableBytes { bytes in
            // NOTE: the block's bounds were checked in init.
            let profile = UInt16(bytes[headerOffset]) << 8 | UInt16(bytes[headerOffset &+ 1])
            let words = Int(bytes[headerOffset &+ 2]) << 8 | Int(bytes[headerOffset &+ 3])
            var found: Range<Int>?
            RTPHeaderExtensions.walk(
                bytes,
                profile: profile,
                from: headerOffset &+ 4,
                to: headerOffset &+ 4 &+ 4 &* words
            ) {
                elementID,
                offset,
                elementLength in
                guard elementID == id else { return true }
                found = offset..<(offset &+ elementLength)
                return false
            }
            return found
        }
        guard let found, found.count >= length else { return nil }
        let start = self.start
        return (found.lowerBound &+ start)..<(found.upperBound &+ start)
    }

    /// The `sdes:mid` value (RFC 8843), when the map names it and the packet carries it.
    public func mid(using map: RTPHeaderExtensionMap) -> String? {
        self.string(map.mid)
    }

    /// The `rtp-stream-id` (rid) value (RFC 8852).
    public func rtpStreamID(using map: RTPHeaderExtensionMap) -> String? {
        self.string(map.rtpStreamID)
    }

    /// The `repaired-rtp-stream-id` value (RFC 8852).
    public func repairedRTPStreamID(using map: RTPHeaderExtensionMap) -> String? {
        self.string(map.repairedRTPStreamID)
    }

    func string(_ id: UInt8?) -> String? {
        guard let range = self.extensionValue(id, length: 1) else { return nil }
        // NOTE: some senders pad the value with NUL bytes; they are not part of the id.
        var bytes = self.buffer.getBytes(at: range.lowerBound, length: range.count) ?? []
        while bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The RFC 6464 audio level.
    @inlinable public func audioLevel(using map: RTPHeaderExtensionMap) -> AudioLevel? {
        guard let range = self.extensionValue(map.audioLevel, length: 1),
            let b = self.buffer.getInteger(at: range.lowerBound, as: UInt8.self)
        else { return nil }
        return AudioLevel(voiceActivity: b & 0x80 != 0, level: b & 0x7F)
    }

    /// The 24-bit abs-send-time value (6.18 fixed-point seconds).
    @inlinable public func absSendTime(using map: RTPHeaderExtensionMap) -> UInt32? {
        guard let range = self.extensionValue(map.absSendTime, length: 3) else { return nil }
        return self.uint24(at: range.lowerBound)
    }

    /// The transport-wide sequence number.
    @inlinable public func transportWideSequenceNumber(using map: RTPHeaderExtensionMap) -> UInt16? {
        guard let range = self.extensionValue(map.transportWideCC, length: 2) else { return nil }
        return self.buffer.getInteger(at: range.lowerBound, as: UInt16.self)
    }

    /// The video orientation.
    public func videoOrientation(using map: RTPHeaderExtensionMap) -> VideoOrientation? {
        guard let range = self.extensionValue(map.videoOrientation, length: 1),
            let b = self.buffer.getInteger(at: range.lowerBound, as: UInt8.self)
        else { return nil }
        return VideoOrientation(isBackCamera: b & 0x08 != 0, isFlipped: b & 0x04 != 0, rotation: Int(b & 0x03) * 90)
    }

    /// The playout delay limits.
    public func playoutDelay(using map: RTPHeaderExtensionMap) -> PlayoutDelay? {
        guard let range = self.extensionValue(map.playoutDelay, length: 3),
            let value = self.uint24(at: range.lowerBound)
        else { return nil }
        return PlayoutDelay(
            minimum: .milliseconds(Int(value >> 12) * 10),
            maximum: .milliseconds(Int(value & 0xFFF) * 10)
        )
    }

    /// The dependency descriptor's raw bytes: forwarded untouched, never interpreted here.
    public func dependencyDescriptor(using map: RTPHeaderExtensionMap) -> ByteBuffer? {
        guard let id = map.dependencyDescriptor else { return nil }
        return self.headerExtension(id: id)
    }

    @inlinable func uint24(at index: Int) -> UInt32? {
        guard let hi = self.buffer.getInteger(at: index, as: UInt16.self),
            let lo = self.buffer.getInteger(at: index + 2, as: UInt8.self)
        else { return nil }
        return UInt32(hi) << 8 | UInt32(lo)
    }
}
