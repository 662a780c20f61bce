public import NIOCore

/// The header extensions one consumer's copy of a packet carries, with the subscriber's
/// ids (RFC 8285): its own `mid`, the egress transport's `abs-send-time` and
/// transport-wide sequence number, and the publisher's elements that pass through
/// (audio level, video orientation, playout delay, timing, color space, the AV1
/// dependency descriptor), renumbered. Everything else the publisher sent is dropped.
///
/// Built once per consumer. The elements the server writes itself are kept as ready
/// one-byte-form bytes, so that a copy takes them in one move and gets its two values
/// patched in; `RTPPacket.write(into:…extensions:…)` uses it per packet. A class, so
/// that handing it to the egress path costs one reference, not its arrays'.
public final class EgressHeaderExtensions {
    /// The subscriber's id for the consumer's `mid`, and the mid's bytes.
    public let mid: (id: UInt8, value: [UInt8])?
    public let absSendTimeID: UInt8?
    public let transportWideID: UInt8?
    /// The subscriber's id for each of the publisher's ids (index), or 0: dropped.
    public private(set) var passthrough: [UInt8] = Array(repeating: 0, count: 256)
    /// Whether any publisher element passes through at all, and whether one takes an
    /// id past the one-byte form's 14.
    public private(set) var hasPassthrough = false
    public private(set) var hasTwoByteID = false
    /// The server's own elements in the one-byte form, values of abs-send-time and the
    /// transport-wide sequence number zero, and where those values go.
    let oneBytePrefix: [UInt8]
    let absSendTimeOffset: Int?
    let transportWideOffset: Int?
    /// Whether the server's own ids fit the one-byte form.
    let ownIDsFitOneByte: Bool

    public init(mid: (id: UInt8, value: [UInt8])? = nil, absSendTimeID: UInt8? = nil, transportWideID: UInt8? = nil) {
        self.mid = mid
        self.absSendTimeID = absSendTimeID
        self.transportWideID = transportWideID
        var prefix: [UInt8] = []
        var absOffset: Int?
        var transportOffset: Int?
        if let mid, !mid.value.isEmpty, mid.value.count <= 16 {
            prefix += [mid.id << 4 | UInt8(mid.value.count - 1)] + mid.value
        }
        if let id = absSendTimeID {
            prefix.append(id << 4 | 2)
            absOffset = prefix.count
            prefix += [0, 0, 0]
        }
        if let id = transportWideID {
            prefix.append(id << 4 | 1)
            transportOffset = prefix.count
            prefix += [0, 0]
        }
        self.oneBytePrefix = prefix
        self.absSendTimeOffset = absOffset
        self.transportWideOffset = transportOffset
        let ids = [mid?.id, absSendTimeID, transportWideID].compactMap { $0 }
        self.ownIDsFitOneByte =
            ids.allSatisfy { (1...14).contains($0) } && (mid.map { (1...16).contains($0.value.count) } ?? true)
    }

    /// Passes the publisher's element `publisherID` through as `subscriberID`.
    public func pass(_ publisherID: UInt8, as subscriberID: UInt8) {
        guard publisherID > 0, subscriberID > 0 else { return }
        self.passthrough[Int(publisherID)] = subscriberID
        self.hasPassthrough = true
        self.hasTwoByteID = self.hasTwoByteID || subscriberID > 14
    }

    /// Whether the copy carries any extension at all.
    public var isEmpty: Bool {
        self.mid == nil && self.absSendTimeID == nil && self.transportWideID == nil && !self.hasPassthrough
    }

    /// `abs-send-time` for a wall-clock time in nanoseconds: 6.18 fixed-point seconds,
    /// 24 bits (it wraps every 64 s).
    @inlinable public static func absSendTime(nanoseconds: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (nanoseconds << 18) / 1_000_000_000) & 0xFF_FFFF
    }
}

extension RTPPacket {
    /// Appends a copy of the packet to `out` with its SSRC, sequence number, timestamp and
    /// payload type replaced, and its header extensions as `extensions` says:
    /// `transportSequence` and `absSendTime` are this copy's values. The one-byte form
    /// when every element fits it, else the two-byte form (RFC 8285 §4.3; subscribers are
    /// offered `a=extmap-allow-mixed`). With `originalSequenceNumber`, the copy is the RTX
    /// packet that carries this one (RFC 4588 §4): the padding bit cleared, then the
    /// original number and the payload without padding.
    ///
    /// - Returns: the number of bytes written.
    @discardableResult
    public func write(
        into out: inout ByteBuffer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8,
        extensions: EgressHeaderExtensions,
        transportSequence: UInt16,
        absSendTime: UInt32,
        originalSequenceNumber: SequenceNumber? = nil
    ) -> Int {
        self.buffer.withUnsafeReadableBytes { source in
            // The copy is at most the packet, its extension block once more (a one-byte
            // element takes a byte more in the two-byte form), the server's own elements
            // with their headers, a block header and padding, and an RTX original number.
            let blockLength = Int(self.payloadOffset) &- 12 &- 4 &* self.csrcCount
            let bound = source.count &+ blockLength &+ extensions.oneBytePrefix.count &+ 18
            return out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                // NOTE: the source's fixed header, CSRCs, extension block and payload were
                // bounds-checked in init; the destination holds `bound` bytes.
                let fixedLength = 12 &+ 4 &* self.csrcCount
                destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: fixedLength)
                let blockStart = fixedLength
                var index = blockStart &+ 4
                let twoByte = !extensions.ownIDsFitOneByte || self.needsTwoByteForm(source, extensions)
                if twoByte {
                    if let mid = extensions.mid {
                        mid.value.withUnsafeBytes { Self.twoByteElement(mid.id, $0, into: destination, at: &index) }
                    }
                    if let id = extensions.absSendTimeID {
                        withUnsafeBytes(of: (absSendTime << 8).bigEndian) {
                            Self.twoByteElement(
                                id,
                                UnsafeRawBufferPointer(rebasing: $0[0..<3]),
                                into: destination,
                                at: &index
                            )
                        }
                    }
                    if let id = extensions.transportWideID {
                        withUnsafeBytes(of: transportSequence.bigEndian) {
                            Self.twoByteElement(id, $0, into: destination, at: &index)
                        }
                    }
                    self.passThrough(source, extensions, twoByte: true) { id, value in
                        Self.twoByteElement(id, value, into: destination, at: &index)
                    }
                } else {
                    extensions.oneBytePrefix.withUnsafeBytes { prefix in
                        UnsafeMutableRawBufferPointer(rebasing: destination[index...]).copyMemory(from: prefix)
                    }
                    if let offset = extensions.absSendTimeOffset {
                        destination[index &+ offset] = UInt8(truncatingIfNeeded: absSendTime >> 16)
                        destination[index &+ offset &+ 1] = UInt8(truncatingIfNeeded: absSendTime >> 8)
                        destination[index &+ offset &+ 2] = UInt8(truncatingIfNeeded: absSendTime)
                    }
                    if let offset = extensions.transportWideOffset {
                        destination[index &+ offset] = UInt8(truncatingIfNeeded: transportSequence >> 8)
                        destination[index &+ offset &+ 1] = UInt8(truncatingIfNeeded: transportSequence)
                    }
                    index &+= extensions.oneBytePrefix.count
                    self.passThrough(source, extensions, twoByte: false) { id, value in
                        destination[index] = id << 4 | UInt8(value.count &- 1)
                        UnsafeMutableRawBufferPointer(rebasing: destination[(index &+ 1)...]).copyMemory(from: value)
                        index &+= 1 &+ value.count
                    }
                }
                let elements = index &- blockStart &- 4
                if elements == 0 {
                    index = blockStart
                } else {
                    while (index &- blockStart) % 4 != 0 {
                        destination[index] = 0
                        index &+= 1
                    }
                    let profile: UInt16 = twoByte ? 0x1000 : 0xBEDE
                    let words = UInt16((index &- blockStart &- 4) / 4)
                    destination.storeBytes(of: profile.bigEndian, toByteOffset: blockStart, as: UInt16.self)
                    destination.storeBytes(of: words.bigEndian, toByteOffset: blockStart &+ 2, as: UInt16.self)
                }
                let payloadStart = Int(self.payloadOffset)
                var payloadLength = source.count &- payloadStart
                var first = source[0] & ~0x10 | (elements == 0 ? 0 : 0x10)
                if let original = originalSequenceNumber {
                    // RTX: the original number first, the payload without its padding.
                    destination.storeBytes(of: original.rawValue.bigEndian, toByteOffset: index, as: UInt16.self)
                    index &+= 2
                    payloadLength = self.payloadLength
                    first &= ~0x20
                }
                UnsafeMutableRawBufferPointer(rebasing: destination[index...])
                    .copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: source[payloadStart..<(payloadStart &+ payloadLength)])
                    )
                index &+= payloadLength
                destination[0] = first
                Self.storeFields(
                    in: destination,
                    ssrc: ssrc,
                    sequenceNumber: sequenceNumber,
                    timestamp: timestamp,
                    payloadType: payloadType
                )
                return index
            }
        }
    }

    /// Writes one two-byte-form element at `index` and moves `index` past it.
    @inline(__always)
    static func twoByteElement(
        _ id: UInt8,
        _ value: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        at index: inout Int
    ) {
        destination[index] = id
        destination[index &+ 1] = UInt8(value.count)
        UnsafeMutableRawBufferPointer(rebasing: destination[(index &+ 2)...]).copyMemory(from: value)
        index &+= 2 &+ value.count
    }

    /// Calls `body` with each of the publisher's elements that passes through, renumbered.
    @inline(__always)
    func passThrough(
        _ source: UnsafeRawBufferPointer,
        _ extensions: EgressHeaderExtensions,
        twoByte: Bool,
        _ body: (UInt8, UnsafeRawBufferPointer) -> Void
    ) {
        guard extensions.hasPassthrough, let block = self.extensionBlock(source) else { return }
        extensions.passthrough.withUnsafeBufferPointer { table in
            _ = RTPHeaderExtensions.walk(source, profile: block.profile, from: block.start, to: block.end) {
                id,
                offset,
                length in
                let mapped = table[Int(id)]
                if mapped != 0, length > 0 || twoByte {
                    body(mapped, UnsafeRawBufferPointer(rebasing: source[offset..<(offset &+ length)]))
                }
                return true
            }
        }
    }

    /// Whether a passed-through element needs the two-byte form: an id over 14, or a
    /// value longer than 16 bytes or empty.
    @inline(__always)
    func needsTwoByteForm(_ bytes: UnsafeRawBufferPointer, _ extensions: EgressHeaderExtensions) -> Bool {
        guard extensions.hasPassthrough, let block = self.extensionBlock(bytes) else { return false }
        if extensions.hasTwoByteID { return true }
        // One-byte input: every value is 1–16 bytes long.
        guard block.profile != 0xBEDE else { return false }
        var needed = false
        extensions.passthrough.withUnsafeBufferPointer { table in
            _ = RTPHeaderExtensions.walk(bytes, profile: block.profile, from: block.start, to: block.end) {
                id,
                _,
                length in
                let mapped = table[Int(id)]
                if mapped != 0, mapped > 14 || length == 0 || length > 16 { needed = true }
                return !needed
            }
        }
        return needed
    }

    /// The packet's extension block in `bytes` (its bytes): the profile and the range of
    /// its elements, or nil without one.
    @inline(__always)
    func extensionBlock(_ bytes: UnsafeRawBufferPointer) -> (profile: UInt16, start: Int, end: Int)? {
        guard self.extensionOffset >= 0 else { return nil }
        let offset = Int(self.extensionOffset)
        let words = Int(bytes[offset &+ 2]) << 8 | Int(bytes[offset &+ 3])
        return (UInt16(bytes[offset]) << 8 | UInt16(bytes[offset &+ 1]), offset &+ 4, offset &+ 4 &+ 4 &* words)
    }
}
