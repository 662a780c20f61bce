/// A parsed session description (RFC 8866 §5): session lines, session attributes and
/// media sections. Lines and attributes SwiftSFU does not interpret are kept in place,
/// so that `SessionDescription(parsing: text).sdp` loses nothing.
public struct SessionDescription: Equatable, Sendable {
    /// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
    public struct Origin: Equatable, Sendable {
        public var username: String
        public var sessionID: String
        public var sessionVersion: UInt64
        public var networkType: String
        public var addressType: String
        public var address: String

        public init(
            username: String = "-",
            sessionID: String,
            sessionVersion: UInt64,
            networkType: String = "IN",
            addressType: String = "IP4",
            address: String = "127.0.0.1"
        ) {
            self.username = username
            self.sessionID = sessionID
            self.sessionVersion = sessionVersion
            self.networkType = networkType
            self.addressType = addressType
            self.address = address
        }

        public var sdpValue: String {
            "\(self.username) \(self.sessionID) \(self.sessionVersion) \(self.networkType) \(self.addressType) \(self.address)"
        }
    }

    public var origin: Origin
    public var sessionName: String
    /// `i= u= e= p= c= b= t= r= z= k=` lines of the session section, in order.
    public var lines: [SDPLine]
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(
        origin: Origin,
        sessionName: String = "-",
        lines: [SDPLine] = [SDPLine("t", "0 0")],
        attributes: [SDPAttribute] = [],
        media: [MediaDescription] = []
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.lines = lines
        self.attributes = attributes
        self.media = media
    }

    /// The mids of the `a=group:BUNDLE` line, if any (RFC 8843 §7.1).
    public var bundleMids: [String]? {
        self.attributes.typed(MediaGroup.self).first { $0.semantics == "BUNDLE" }?.mids
    }

    /// An attribute from the media section, falling back to the session section as RFC
    /// 8839 and 8122 allow for ICE credentials and fingerprints.
    public func iceCredentials(of media: MediaDescription) -> (ufrag: String, pwd: String)? {
        guard let ufrag = media.iceUfrag ?? self.attributes.value("ice-ufrag"),
            let pwd = media.icePwd ?? self.attributes.value("ice-pwd")
        else { return nil }
        return (ufrag, pwd)
    }

    /// The fingerprints that apply to `media` (its own, else the session's).
    public func fingerprints(of media: MediaDescription) -> [Fingerprint] {
        let own = media.fingerprints
        return own.isEmpty ? self.attributes.typed(Fingerprint.self) : own
    }

    /// The setup role that applies to `media`.
    public func setup(of media: MediaDescription) -> SetupRole? {
        media.setup ?? self.attributes.typed(SetupRole.self).first
    }
}
