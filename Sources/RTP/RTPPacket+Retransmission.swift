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
        var written = self.writeHeaderWithoutPadding(
            into: &out,
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: payloadType
        )
        written += out.writeInteger(originalSequenceNumber.rawValue)
        written += out.writeImmutableBuffer(self.payload)
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
        let written = self.writeHeaderWithoutPadding(
            into: &out,
            ssrc: ssrc,
            sequenceNumber: original,
            timestamp: self.timestamp,
            payloadType: payloadType
        )
        let start = self.start + Int(self.payloadOffset) + 2
        let payload = self.buffer.getSlice(at: start, length: self.payloadLength - 2)!  // length checked
        return written + out.writeImmutableBuffer(payload)
    }

    /// Appends this packet's header (CSRCs and extensions included) with the padding bit
    /// cleared and the given fields: the start of an RTX packet, or of what one carries.
    @inlinable
    func writeHeaderWithoutPadding(
        into out: inout ByteBuffer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8
    ) -> Int {
        let base = out.writerIndex
        let header = self.buffer.getSlice(at: self.start, length: Int(self.payloadOffset))!  // checked in init
        let written = out.writeImmutableBuffer(header)
        out.setInteger(self.byte(0) & ~0x20, at: base)
        self.setFields(
            in: &out,
            at: base,
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: payloadType
        )
        return written
    }
}
