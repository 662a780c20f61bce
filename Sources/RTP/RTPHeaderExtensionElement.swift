import NIOCore

/// One header-extension element (RFC 8285 §4.2, §4.3), owned bytes: the unit of the
/// builder and of add / replace / strip.
public struct RTPHeaderExtensionElement: Hashable, Sendable {
    /// The local identifier negotiated by `a=extmap` (1–14 one-byte, 1–255 two-byte).
    public var id: UInt8
    public var value: [UInt8]

    public init(id: UInt8, value: [UInt8]) {
        self.id = id
        self.value = value
    }

    /// Whether a list of elements fits the one-byte form.
    static func fitOneByteForm(_ elements: [RTPHeaderExtensionElement]) -> Bool {
        elements.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.value.count) }
    }

    /// Bytes the block (4-byte header, elements, padding to 32 bits) takes, or 0 when empty.
    static func encodedLength(of elements: [RTPHeaderExtensionElement]) -> Int {
        guard !elements.isEmpty else { return 0 }
        let perElement = Self.fitOneByteForm(elements) ? 1 : 2
        let raw = elements.reduce(0) { $0 + perElement + $1.value.count }
        return 4 + (raw + 3) / 4 * 4
    }

    /// Writes the block for `elements`, in the one-byte form when they fit and the
    /// two-byte form otherwise. Writes nothing for an empty list.
    static func write(_ elements: [RTPHeaderExtensionElement], into out: inout ByteBuffer) {
        guard !elements.isEmpty else { return }
        let oneByte = Self.fitOneByteForm(elements)
        let length = Self.encodedLength(of: elements)
        out.writeInteger(oneByte ? UInt16(0xBEDE) : UInt16(0x1000))
        out.writeInteger(UInt16((length - 4) / 4))
        var written = 0
        for element in elements {
            precondition(element.value.count <= 255, "a header-extension element holds at most 255 bytes")
            if oneByte {
                out.writeInteger(element.id << 4 | UInt8(element.value.count - 1))
                written += 1
            } else {
                out.writeInteger(element.id)
                out.writeInteger(UInt8(truncatingIfNeeded: element.value.count))
                written += 2
            }
            out.writeBytes(element.value)
            written += element.value.count
        }
        out.writeRepeatingByte(0, count: length - 4 - written)
    }
}
