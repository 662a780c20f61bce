/// `a=candidate:` (RFC 8839 §5.1): one ICE candidate.
///
/// `<foundation> <component> <transport> <priority> <address> <port> typ <type>
/// [raddr <address>] [rport <port>] *(<extension name> <extension value>)`
public struct Candidate: SDPAttributeValue, Hashable {
    public static let attributeName = "candidate"
    public var foundation: String
    public var component: Int
    /// "udp" or "tcp", lowercased.
    public var transport: String
    public var priority: UInt32
    /// An IPv4 or IPv6 address, or an mDNS name.
    public var address: String
    public var port: UInt16
    /// "host", "srflx", "prflx" or "relay".
    public var type: String
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// Further `name value` pairs in order (tcptype, generation, ufrag, network-id…).
    public var extensions: [(name: String, value: String)]

    public init(
        foundation: String,
        component: Int,
        transport: String,
        priority: UInt32,
        address: String,
        port: UInt16,
        type: String,
        relatedAddress: String? = nil,
        relatedPort: UInt16? = nil,
        extensions: [(name: String, value: String)] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport.lowercased()
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    public init?(sdpValue: String) {
        var text = Substring(sdpValue)
        if text.hasPrefix("candidate:") { text = text.dropFirst("candidate:".count) }  // trickle form
        let f = text.split(separator: " ")
        guard f.count >= 8, f.count % 2 == 0, !f[0].isEmpty, f[0].count <= 32,
            let component = Int(f[1]), (1...256).contains(component),
            let priority = UInt32(f[3]), let port = UInt16(f[5]), f[6] == "typ"
        else { return nil }
        self.foundation = String(f[0])
        self.component = component
        self.transport = f[2].lowercased()
        self.priority = priority
        self.address = String(f[4])
        self.port = port
        self.type = String(f[7])
        self.relatedAddress = nil
        self.relatedPort = nil
        self.extensions = []
        var index = 8
        while index + 1 < f.count {
            let name = f[index]
            let value = f[index + 1]
            switch name {
            case "raddr": self.relatedAddress = String(value)
            case "rport":
                guard let port = UInt16(value) else { return nil }
                self.relatedPort = port
            default: self.extensions.append((String(name), String(value)))
            }
            index += 2
        }
    }

    public var sdpValue: String {
        var text =
            "\(self.foundation) \(self.component) \(self.transport) \(self.priority) \(self.address) \(self.port)"
        text += " typ \(self.type)"
        if let relatedAddress { text += " raddr \(relatedAddress)" }
        if let relatedPort { text += " rport \(relatedPort)" }
        for (name, value) in self.extensions { text += " \(name) \(value)" }
        return text
    }

    /// The value of extension `name` (for example "tcptype" or "ufrag").
    public func extensionValue(_ name: String) -> String? {
        self.extensions.first { $0.name == name }?.value
    }

    public static func == (lhs: Candidate, rhs: Candidate) -> Bool { lhs.sdpValue == rhs.sdpValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.sdpValue) }
}
