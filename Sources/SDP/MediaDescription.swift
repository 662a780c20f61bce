/// One media section (RFC 8866 §5.14): the `m=` line, its other lines, its attributes.
///
/// `m=<media> <port>[/<count>] <proto> <fmt> …`
public struct MediaDescription: Equatable, Sendable {
    /// "audio", "video", "application", …
    public var kind: String
    /// 0 rejects the section (RFC 8829 §5.3.1); 9 is the WebRTC placeholder.
    public var port: Int
    public var portCount: Int?
    /// For example "UDP/TLS/RTP/SAVPF" or "UDP/DTLS/SCTP".
    public var proto: String
    /// Payload types for RTP, other tokens (such as "webrtc-datachannel") otherwise.
    public var formats: [String]
    /// `i=`, `c=`, `b=`, `k=` lines, in order.
    public var lines: [SDPLine]
    public var attributes: [SDPAttribute]

    public init(
        kind: String,
        port: Int,
        portCount: Int? = nil,
        proto: String,
        formats: [String],
        lines: [SDPLine] = [],
        attributes: [SDPAttribute] = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.lines = lines
        self.attributes = attributes
    }

    /// Whether the section carries RTP (an RTP/AVP-family profile).
    public var isRTP: Bool { self.proto.contains("RTP/") }

    /// The RTP payload types of the m-line.
    public var payloadTypes: [UInt8] { self.formats.compactMap { UInt8($0) } }

    public var mid: String? { self.attributes.value("mid") }

    /// The direction attribute; `sendrecv` when absent (RFC 8866 §6.7).
    public var direction: MediaDirection {
        get { self.attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first ?? .sendrecv }
        set {
            self.attributes.removeAll { MediaDirection(rawValue: $0.name) != nil }
            self.attributes.append(SDPAttribute(newValue.rawValue))
        }
    }

    public var rtpMaps: [RTPMap] { self.attributes.typed(RTPMap.self) }
    public var formatParameters: [FormatParameters] { self.attributes.typed(FormatParameters.self) }
    public var rtcpFeedback: [RTCPFeedback] { self.attributes.typed(RTCPFeedback.self) }
    public var extensionMaps: [ExtensionMap] { self.attributes.typed(ExtensionMap.self) }
    public var candidates: [Candidate] { self.attributes.typed(Candidate.self) }
    public var ssrcs: [SSRCAttribute] { self.attributes.typed(SSRCAttribute.self) }
    public var ssrcGroups: [SSRCGroup] { self.attributes.typed(SSRCGroup.self) }
    public var rids: [RIDAttribute] { self.attributes.typed(RIDAttribute.self) }
    public var simulcast: SimulcastAttribute? { self.attributes.typed(SimulcastAttribute.self).first }
    public var msid: MediaStreamID? { self.attributes.typed(MediaStreamID.self).first }
    public var iceUfrag: String? { self.attributes.value("ice-ufrag") }
    public var icePwd: String? { self.attributes.value("ice-pwd") }
    public var iceOptions: [String] {
        self.attributes.value("ice-options")?.split(separator: " ").map(String.init) ?? []
    }
    public var fingerprints: [Fingerprint] { self.attributes.typed(Fingerprint.self) }
    public var setup: SetupRole? { self.attributes.typed(SetupRole.self).first }
    public var rtcpMux: Bool { self.attributes.contains("rtcp-mux") }
    /// `a=bundle-only` (RFC 8843 §6): port 0 in an offer that still wants the section,
    /// on the BUNDLE transport. Firefox offers every section but the first this way.
    public var isBundleOnly: Bool { self.attributes.contains("bundle-only") }
    /// Port 0 without `a=bundle-only`: the section is rejected or disabled.
    public var isDisabled: Bool { self.port == 0 && !self.isBundleOnly }
    public var rtcpReducedSize: Bool { self.attributes.contains("rtcp-rsize") }
    public var endOfCandidates: Bool { self.attributes.contains("end-of-candidates") }
    public var sctpPort: Int? { self.attributes.value("sctp-port").flatMap { Int($0) } }
    public var maxMessageSize: Int? { self.attributes.value("max-message-size").flatMap { Int($0) } }

    /// Each payload type of the m-line with its rtpmap, fmtp and rtcp-fb lines joined.
    public var codecs: [CodecDescription] {
        let maps = self.rtpMaps
        let fmtps = self.formatParameters
        let feedback = self.rtcpFeedback
        return self.payloadTypes.compactMap { pt in
            guard let map = maps.first(where: { $0.payloadType == pt }) else { return nil }
            return CodecDescription(
                payloadType: pt,
                name: map.encodingName,
                clockRate: map.clockRate,
                channels: map.channels,
                parameters: fmtps.first { $0.payloadType == pt }?.parameters,
                feedback: feedback.filter { $0.payloadType == pt || $0.payloadType == nil }.map {
                    $0.with(payloadType: pt)
                }
            )
        }
    }
}

/// One codec of a media section: rtpmap, fmtp and rtcp-fb of one payload type together.
public struct CodecDescription: Equatable, Sendable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: Int
    public var channels: Int?
    /// The fmtp parameters as text, for example `minptime=10;useinbandfec=1`.
    public var parameters: String?
    public var feedback: [RTCPFeedback]

    public init(
        payloadType: UInt8,
        name: String,
        clockRate: Int,
        channels: Int? = nil,
        parameters: String? = nil,
        feedback: [RTCPFeedback] = []
    ) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// The fmtp parameters as a dictionary with lowercased keys.
    public var parameterDictionary: [String: String] {
        guard let parameters else { return [:] }
        return FormatParameters(payloadType: self.payloadType, parameters: parameters).dictionary
    }

    /// Whether this is an RTX (RFC 4588) codec, and the payload type it repairs.
    public var associatedPayloadType: UInt8? {
        guard self.name.lowercased() == "rtx" else { return nil }
        return self.parameterDictionary["apt"].flatMap { UInt8($0) }
    }

    /// The attributes that describe this codec in a media section.
    public var attributes: [SDPAttribute] {
        var result = [
            RTPMap(
                payloadType: self.payloadType,
                encodingName: self.name,
                clockRate: self.clockRate,
                channels: self.channels
            ).attribute
        ]
        result += self.feedback.map { $0.with(payloadType: self.payloadType).attribute }
        if let parameters {
            result.append(FormatParameters(payloadType: self.payloadType, parameters: parameters).attribute)
        }
        return result
    }
}
