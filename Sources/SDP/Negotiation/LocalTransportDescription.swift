/// The server side of one transport as SDP describes it: ICE credentials, the DTLS
/// certificate fingerprint and any candidates already gathered (RFC 8839, RFC 8122).
public struct LocalTransportDescription: Sendable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprint: Fingerprint
    public var candidates: [Candidate]
    /// Whether gathering is complete (`a=end-of-candidates`).
    public var isGatheringComplete: Bool

    public init(
        iceUfrag: String,
        icePwd: String,
        fingerprint: Fingerprint,
        candidates: [Candidate] = [],
        isGatheringComplete: Bool = false
    ) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.isGatheringComplete = isGatheringComplete
    }

    /// The transport attributes of one media section, with the given DTLS role.
    func attributes(setup: SetupRole) -> [SDPAttribute] {
        var result = [
            SDPAttribute("ice-ufrag", self.iceUfrag), SDPAttribute("ice-pwd", self.icePwd),
            SDPAttribute("ice-options", "trickle"), self.fingerprint.attribute, setup.attribute,
        ]
        result += self.candidates.map(\.attribute)
        if self.isGatheringComplete { result.append(SDPAttribute("end-of-candidates")) }
        return result
    }
}

/// What one accepted media section settled: the parameters the routing core needs.
public struct NegotiatedMedia: Equatable, Sendable {
    public var mid: String
    public var kind: String
    /// Accepted codecs in preference order, RTX included, with the payload types used
    /// on the wire.
    public var codecs: [CodecDescription]
    public var extensions: [ExtensionMap]
    /// The direction from the server's point of view.
    public var direction: MediaDirection
    /// The remote side's SSRCs as its description lists them (may be empty).
    public var remoteSSRCs: [UInt32]
    /// Simulcast layers the remote sends, by rid, in its order.
    public var remoteRIDs: [String]
    /// Simulcast layers the remote sends by SSRC (`a=ssrc-group:SIM`), lowest first.
    public var remoteSimulcastSSRCs: [UInt32] = []
    /// The RTX SSRC of each media SSRC (`a=ssrc-group:FID`, RFC 4588).
    public var remoteRetransmissionSSRCs: [UInt32: UInt32] = [:]
    public var rtcpReducedSize: Bool

    public init(
        mid: String,
        kind: String,
        codecs: [CodecDescription],
        extensions: [ExtensionMap],
        direction: MediaDirection,
        remoteSSRCs: [UInt32],
        remoteRIDs: [String],
        rtcpReducedSize: Bool
    ) {
        self.mid = mid
        self.kind = kind
        self.codecs = codecs
        self.extensions = extensions
        self.direction = direction
        self.remoteSSRCs = remoteSSRCs
        self.remoteRIDs = remoteRIDs
        self.rtcpReducedSize = rtcpReducedSize
    }

    /// The primary (non-RTX) codecs.
    public var mediaCodecs: [CodecDescription] { self.codecs.filter { $0.associatedPayloadType == nil } }

    /// The RTX payload type paired with `payloadType`, if negotiated.
    public func rtxPayloadType(for payloadType: UInt8) -> UInt8? {
        self.codecs.first { $0.associatedPayloadType == payloadType }?.payloadType
    }
}

/// The remote transport parameters of a negotiated description.
public struct RemoteTransportDescription: Equatable, Sendable {
    public var iceUfrag: String
    public var icePwd: String
    public var fingerprints: [Fingerprint]
    public var setup: SetupRole
    public var candidates: [Candidate]
    public var isGatheringComplete: Bool
}
