extension Array where Element == UInt8 {
    /// Bytes from hex text; whitespace is ignored. `nil` for an odd count or a non-hex digit.
    public init?(hex: some StringProtocol) {
        let digits = [Character](hex.filter { !$0.isWhitespace })
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[index...(index + 1)]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self = bytes
    }
}
