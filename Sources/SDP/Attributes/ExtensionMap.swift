/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8).
public struct ExtensionMap: SDPAttributeValue {
    public static let attributeName = "extmap"
    public var id: UInt8
    public var direction: MediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt8, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2 else { return nil }
        let idParts = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard let id = UInt8(idParts[0]), (1...255).contains(id), idParts.count <= 2 else { return nil }
        self.id = id
        if idParts.count == 2 {
            guard let direction = MediaDirection(rawValue: String(idParts[1])) else { return nil }
            self.direction = direction
        } else {
            self.direction = nil
        }
        self.uri = String(parts[1])
        self.extensionAttributes = parts.count > 2 ? String(parts[2]) : nil
    }

    public var sdpValue: String {
        "\(self.id)" + (self.direction.map { "/\($0.rawValue)" } ?? "") + " \(self.uri)"
            + (self.extensionAttributes.map { " \($0)" } ?? "")
    }
}
