/// The media direction attributes (RFC 8866 §6.7).
public enum MediaDirection: String, CaseIterable, Sendable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction an answerer uses for the same stream (RFC 8829 §5.3.1).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// Combines what this side wants with what the peer allows.
    public func intersected(with other: MediaDirection) -> MediaDirection {
        switch (self.sends && other.receives, self.receives && other.sends) {
        case (true, true): .sendrecv
        case (true, false): .sendonly
        case (false, true): .recvonly
        case (false, false): .inactive
        }
    }
}

/// `a=setup` (RFC 4145 §4, RFC 5763 §5): which side is the DTLS client.
public enum SetupRole: String, Sendable, SDPAttributeValue {
    case active, passive, actpass, holdconn

    public static let attributeName = "setup"
    public init?(sdpValue: String) { self.init(rawValue: sdpValue) }
    public var sdpValue: String { self.rawValue }
}
