/// Reads a codec header most significant bit first (VP9's uncompressed header, H.264's
/// SPS with its Exp-Golomb codes, AV1's sequence header): nil, or `Exhausted`, past the
/// end.
struct BitReader {
    struct Exhausted: Error {}

    let bytes: [UInt8]
    var bit: Int

    init(_ bytes: [UInt8], bit: Int = 0) {
        self.bytes = bytes
        self.bit = bit
    }

    mutating func bits(_ count: Int) -> Int? {
        var value = 0
        for _ in 0..<count {
            guard self.bit / 8 < self.bytes.count else { return nil }
            value = value << 1 | Int(self.bytes[self.bit / 8] >> (7 - self.bit % 8) & 1)
            self.bit += 1
        }
        return value
    }

    /// `bits`, throwing past the end.
    mutating func read(_ count: Int) throws(Exhausted) -> Int {
        guard let value = self.bits(count) else { throw Exhausted() }
        return value
    }

    /// An unsigned Exp-Golomb code (H.264 §9.1; AV1's `uvlc()` is the same): leading
    /// zeros, a one, then as many bits.
    mutating func unsigned() -> Int? {
        var zeros = 0
        while true {
            guard let bit = self.bits(1) else { return nil }
            if bit == 1 { break }
            zeros += 1
            guard zeros < 32 else { return nil }
        }
        guard let rest = self.bits(zeros) else { return nil }
        return (1 << zeros) - 1 + rest
    }

    /// A signed Exp-Golomb code (H.264 §9.1.1).
    mutating func signed() -> Int? {
        guard let value = self.unsigned() else { return nil }
        return value % 2 == 1 ? (value + 1) / 2 : -(value / 2)
    }
}
