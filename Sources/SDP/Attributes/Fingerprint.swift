/// `a=fingerprint:<hash function> <hex bytes separated by colons>` (RFC 8122 §5).
public struct Fingerprint: SDPAttributeValue, Hashable {
    public static let attributeName = "fingerprint"
    /// Lowercased hash name, for example "sha-256".
    public var hashFunction: String
    /// Uppercase hex pairs separated by colons.
    public var value: String

    public init(hashFunction: String, value: String) {
        self.hashFunction = hashFunction.lowercased()
        self.value = value.uppercased()
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count == 2 else { return nil }
        let pairs = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard !pairs.isEmpty, pairs.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        self.init(hashFunction: String(parts[0]), value: String(parts[1]))
    }

    public var sdpValue: String { "\(self.hashFunction) \(self.value)" }

    /// The digest bytes.
    public var bytes: [UInt8] {
        self.value.split(separator: ":").compactMap { UInt8($0, radix: 16) }
    }
}
