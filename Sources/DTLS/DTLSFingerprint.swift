/// A certificate fingerprint as SDP carries it (RFC 8122 §5): a hash name and the digest.
public struct DTLSFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// Lowercased hash function name, for example "sha-256".
    public var algorithm: String
    public var digest: [UInt8]

    public init(algorithm: String, digest: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.digest = digest
    }

    /// Parses the `a=fingerprint` value form: `sha-256 AB:CD:…`.
    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count == 2 else { return nil }
        var digest: [UInt8] = []
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, let byte = UInt8(pair, radix: 16) else { return nil }
            digest.append(byte)
        }
        self.init(algorithm: String(parts[0]), digest: digest)
    }

    /// Uppercase hex pairs separated by colons.
    public var hex: String {
        self.digest.map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: ":")
    }

    /// The `a=fingerprint` value form.
    public var sdpValue: String { "\(self.algorithm) \(self.hex)" }

    public var description: String { self.sdpValue }
}
