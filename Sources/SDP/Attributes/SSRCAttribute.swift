/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1), for example `cname:…` or `msid:…`.
public struct SSRCAttribute: SDPAttributeValue {
    public static let attributeName = "ssrc"
    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let ssrc = UInt32(parts[0]) else { return nil }
        self.ssrc = ssrc
        let attribute = SDPAttribute(line: parts[1])
        guard !attribute.name.isEmpty else { return nil }
        self.name = attribute.name
        self.value = attribute.value
    }

    public var sdpValue: String { "\(self.ssrc) " + SDPAttribute(self.name, self.value).text }
}

/// `a=ssrc-group:<semantics> <ssrc>…` (RFC 5576 §4.2): FID pairs a stream with its RTX
/// stream (RFC 4588), SIM lists simulcast layers.
public struct SSRCGroup: SDPAttributeValue {
    public static let attributeName = "ssrc-group"
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var ssrcs: [UInt32] = []
        for part in parts.dropFirst() {
            guard let ssrc = UInt32(part) else { return nil }
            ssrcs.append(ssrc)
        }
        self.semantics = String(parts[0])
        self.ssrcs = ssrcs
    }

    public var sdpValue: String { ([self.semantics] + self.ssrcs.map(String.init)).joined(separator: " ") }
}

/// `a=group:<semantics> <mid>…` (RFC 5888 §5), for example `BUNDLE 0 1` (RFC 8843).
public struct MediaGroup: SDPAttributeValue {
    public static let attributeName = "group"
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard let first = parts.first else { return nil }
        self.semantics = String(first)
        self.mids = parts.dropFirst().map(String.init)
    }

    public var sdpValue: String { ([self.semantics] + self.mids).joined(separator: " ") }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2).
public struct MediaStreamID: SDPAttributeValue {
    public static let attributeName = "msid"
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard (1...2).contains(parts.count) else { return nil }
        self.streamID = String(parts[0])
        self.trackID = parts.count == 2 ? String(parts[1]) : nil
    }

    public var sdpValue: String { self.streamID + (self.trackID.map { " \($0)" } ?? "") }
}
