public import NIOCore

// MARK: - In-place rewrite
extension RTPPacket {
    /// Overwrites the SSRC in place.
    @inlinable public mutating func setSSRC(_ ssrc: SSRC) {
        self.buffer.setInteger(ssrc, at: self.start + 8)
    }

    /// Overwrites the sequence number in place.
    @inlinable public mutating func setSequenceNumber(_ sequenceNumber: SequenceNumber) {
        self.buffer.setInteger(sequenceNumber.rawValue, at: self.start + 2)
    }

    /// Overwrites the timestamp in place.
    @inlinable public mutating func setTimestamp(_ timestamp: RTPTimestamp) {
        self.buffer.setInteger(timestamp.rawValue, at: self.start + 4)
    }

    /// Overwrites the payload type in place, keeping the marker bit.
    @inlinable public mutating func setPayloadType(_ payloadType: UInt8) {
        self.buffer.setInteger((self.byte(1) & 0x80) | (payloadType & 0x7F), at: self.start + 1)
    }

    /// Overwrites the marker bit in place, keeping the payload type.
    @inlinable public mutating func setMarker(_ marker: Bool) {
        self.buffer.setInteger((self.byte(1) & 0x7F) | (marker ? 0x80 : 0), at: self.start + 1)
    }

    /// Appends a copy of the packet to `out` with its SSRC, sequence number and timestamp
    /// replaced: the per-consumer egress copy of the forwarding path.
    ///
    /// - Returns: the number of bytes written.
    @inlinable @discardableResult
    public func write(
        into out: inout ByteBuffer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp
    ) -> Int {
        let base = out.writerIndex
        let written = out.writeImmutableBuffer(self.buffer)
        out.setInteger(sequenceNumber.rawValue, at: base + 2)
        out.setInteger(timestamp.rawValue, at: base + 4)
        out.setInteger(ssrc, at: base + 8)
        return written
    }

    /// Appends an unchanged copy of the packet to `out`.
    @inlinable @discardableResult
    public func write(into out: inout ByteBuffer) -> Int {
        out.writeImmutableBuffer(self.buffer)
    }
}
