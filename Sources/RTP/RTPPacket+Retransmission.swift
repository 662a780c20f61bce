public import NIOCore

// MARK: - RTX (RFC 4588)
extension RTPPacket {
    /// The original sequence number an RTX packet carries in the first two bytes of its
    /// payload (RFC 4588 §4); `nil` when the payload is shorter (a padding-only probe).
    @inlinable public var originalSequenceNumber: SequenceNumber? {
        guard self.payloadLength >= 2 else { return nil }
        let offset = self.start + Int(self.payloadOffset)
        return SequenceNumber(self.buffer.getInteger(at: offset, as: UInt16.self)!)  // length checked
    }

    /// Appends the RTX packet that carries this one (RFC 4588 §4): this packet's header
    /// with `ssrc`, `sequenceNumber`, `timestamp` and `payloadType` in place of its own
    /// and the padding bit cleared, then `originalSequenceNumber`, then the payload
    /// without padding.
    ///
    /// - Returns: the number of bytes written.
    @inlinable @discardableResult
    public func writeRetransmission(
        into out: inout ByteBuffer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8,
        originalSequenceNumber: SequenceNumber
    ) -> Int {
        let base = out.writerIndex
        let header = Int(self.payloadOffset)
        var written = out.writeImmutableBuffer(self.buffer.getSlice(at: self.start, length: header)!)  // in init
        written += out.writeInteger(originalSequenceNumber.rawValue)
        written += out.writeImmutableBuffer(self.payload)
        out.setInteger(self.byte(0) & ~0x20, at: base)
        out.setInteger((self.byte(1) & 0x80) | (payloadType & 0x7F), at: base + 1)
        out.setInteger(sequenceNumber.rawValue, at: base + 2)
        out.setInteger(timestamp.rawValue, at: base + 4)
        out.setInteger(ssrc, at: base + 8)
        return written
    }

    /// Appends the packet an RTX packet carries (RFC 4588 §4): this header with `ssrc`,
    /// `payloadType` and the original sequence number, the padding bit cleared, then the
    /// payload after the original sequence number, without padding. Writes nothing and
    /// returns 0 when there is no media payload (a padding-only probe, or an empty one).
    ///
    /// - Returns: the number of bytes written.
    @inlinable @discardableResult
    public func writeOriginal(into out: inout ByteBuffer, ssrc: SSRC, payloadType: UInt8) -> Int {
        guard let original = self.originalSequenceNumber, self.payloadLength > 2 else { return 0 }
        let base = out.writerIndex
        let header = Int(self.payloadOffset)
        var written = out.writeImmutableBuffer(self.buffer.getSlice(at: self.start, length: header)!)  // in init
        written += out.writeImmutableBuffer(
            self.buffer.getSlice(at: self.start + header + 2, length: self.payloadLength - 2)!  // length checked
        )
        out.setInteger(self.byte(0) & ~0x20, at: base)
        out.setInteger((self.byte(1) & 0x80) | (payloadType & 0x7F), at: base + 1)
        out.setInteger(original.rawValue, at: base + 2)
        out.setInteger(ssrc, at: base + 8)
        return written
    }
}
