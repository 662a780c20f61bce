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

    /// Ends the view and hands its bytes back without another reference to them, so that
    /// the next owner can write them in place.
    @inlinable public consuming func releaseBytes() -> ByteBuffer {
        self.buffer
    }

    /// Overwrites the fields a consumer rewrites, in place, in one pass: the forwarding
    /// path's rewrite of a packet it owns.
    @inlinable public mutating func rewrite(
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8
    ) {
        self.buffer.withUnsafeMutableReadableBytes { bytes in
            // NOTE: the 12-byte fixed header was checked in init, and only fields inside
            // it are written.
            Self.storeFields(
                in: bytes,
                ssrc: ssrc,
                sequenceNumber: sequenceNumber,
                timestamp: timestamp,
                payloadType: payloadType
            )
        }
    }

    /// Writes the fields a consumer rewrites into the fixed header at the start of
    /// `bytes` (at least 12 bytes), keeping the marker bit.
    @inlinable @inline(__always)
    static func storeFields(
        in bytes: UnsafeMutableRawBufferPointer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8
    ) {
        bytes[1] = (bytes[1] & 0x80) | (payloadType & 0x7F)
        bytes.storeBytes(of: sequenceNumber.rawValue.bigEndian, toByteOffset: 2, as: UInt16.self)
        bytes.storeBytes(of: timestamp.rawValue.bigEndian, toByteOffset: 4, as: UInt32.self)
        bytes.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Appends a copy of the packet to `out` with its SSRC, sequence number and timestamp
    /// replaced, and its payload type when `payloadType` is given (keeping the marker):
    /// the per-consumer egress copy of the forwarding path.
    ///
    /// - Returns: the number of bytes written.
    @inlinable @discardableResult
    public func write(
        into out: inout ByteBuffer,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8? = nil
    ) -> Int {
        let base = out.writerIndex
        let written = out.writeImmutableBuffer(self.buffer)
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

    /// Overwrites the fields a consumer rewrites in a copy of this packet's header that
    /// starts at `base` in `out`; the payload type only when given (keeping the marker).
    @inlinable
    func setFields(
        in out: inout ByteBuffer,
        at base: Int,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8?
    ) {
        if let payloadType {
            out.setInteger((self.byte(1) & 0x80) | (payloadType & 0x7F), at: base + 1)
        }
        out.setInteger(sequenceNumber.rawValue, at: base + 2)
        out.setInteger(timestamp.rawValue, at: base + 4)
        out.setInteger(ssrc, at: base + 8)
    }

    /// Appends an unchanged copy of the packet to `out`.
    @inlinable @discardableResult
    public func write(into out: inout ByteBuffer) -> Int {
        out.writeImmutableBuffer(self.buffer)
    }
}
