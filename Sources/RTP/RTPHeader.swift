public import NIOCore

/// The fields of an RTP header as owned values: the builder side of `RTPPacket`
/// (RFC 3550 §5.1, RFC 8285 §4).
///
/// `write(into:payload:paddingLength:)` produces a packet that `RTPPacket(validating:)`
/// accepts and that reads back the same header.
public struct RTPHeader: Equatable, Sendable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: SequenceNumber
    public var timestamp: RTPTimestamp
    public var ssrc: SSRC
    public var csrcs: [SSRC]
    /// Elements written in the one-byte form when they fit, else the two-byte form.
    public var extensions: [RTPHeaderExtensionElement]

    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        ssrc: SSRC,
        csrcs: [SSRC] = [],
        extensions: [RTPHeaderExtensionElement] = []
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
    }

    /// Bytes of header this writes: fixed part, CSRCs and extension block.
    public var encodedLength: Int {
        12 + 4 * self.csrcs.count + RTPHeaderExtensionElement.encodedLength(of: self.extensions)
    }

    /// Appends a whole packet: this header, `payload`, and `paddingLength` bytes of
    /// padding (0, or 1–255 including the count byte).
    public func write(into out: inout ByteBuffer, payload: ByteBuffer, paddingLength: Int = 0) {
        precondition(self.csrcs.count <= 15, "RTP carries at most 15 CSRCs")
        precondition((0...255).contains(paddingLength), "padding is 0–255 bytes")
        var b0: UInt8 = 0x80 | UInt8(self.csrcs.count)
        if paddingLength > 0 { b0 |= 0x20 }
        if !self.extensions.isEmpty { b0 |= 0x10 }
        out.writeInteger(b0)
        out.writeInteger((self.marker ? 0x80 : 0) | (self.payloadType & 0x7F) as UInt8)
        out.writeInteger(self.sequenceNumber.rawValue)
        out.writeInteger(self.timestamp.rawValue)
        out.writeInteger(self.ssrc)
        for csrc in self.csrcs { out.writeInteger(csrc) }
        RTPHeaderExtensionElement.write(self.extensions, into: &out)
        out.writeImmutableBuffer(payload)
        if paddingLength > 0 {
            out.writeRepeatingByte(0, count: paddingLength - 1)
            out.writeInteger(UInt8(paddingLength))
        }
    }
}

extension RTPPacket {
    /// The header fields copied out (control path: allocates). Elements of an
    /// extension block in a profile other than RFC 8285's are not represented.
    public var header: RTPHeader {
        RTPHeader(
            marker: self.marker,
            payloadType: self.payloadType,
            sequenceNumber: self.sequenceNumber,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            csrcs: self.csrcs,
            extensions: self.headerExtensions?.elements ?? []
        )
    }

    /// A new packet with the header-extension elements edited by `edit` and everything
    /// else (fields, payload, padding) kept. Used to add, replace or strip elements.
    public func rewritingHeaderExtensions(_ edit: (inout [RTPHeaderExtensionElement]) -> Void) -> RTPPacket {
        var header = self.header
        edit(&header.extensions)
        var out = ByteBuffer()
        out.reserveCapacity(header.encodedLength + self.payloadLength + self.paddingLength)
        header.write(into: &out, payload: self.payload, paddingLength: self.paddingLength)
        // NOTE: the header was produced by our own writer from validated fields.
        guard let packet = try? RTPPacket(validating: out) else {
            preconditionFailure("builder wrote an invalid packet")
        }
        return packet
    }

    /// A new packet with element `id` set to `value`, replacing any element with that id.
    public func settingHeaderExtension(id: UInt8, value: [UInt8]) -> RTPPacket {
        self.rewritingHeaderExtensions { elements in
            if let index = elements.firstIndex(where: { $0.id == id }) {
                elements[index].value = value
            } else {
                elements.append(RTPHeaderExtensionElement(id: id, value: value))
            }
        }
    }

    /// A new packet keeping only the elements whose id `keep` returns `true` for.
    public func strippingHeaderExtensions(keeping keep: (UInt8) -> Bool) -> RTPPacket {
        self.rewritingHeaderExtensions { elements in elements.removeAll { !keep($0.id) } }
    }
}
