/// Answers a remote offer (RFC 8829 §5.3): the publisher's path, and any client that
/// offers first.
///
/// The answer keeps the offerer's payload types and extension ids, intersects codecs
/// and feedback with the server's capabilities, pairs RTX with its codec, flips
/// directions, rejects what it cannot carry with port 0, and answers `setup:passive`
/// to `actpass` so that the SFU is the DTLS server.
public struct OfferAnswer: Sendable {
    public var capabilities: MediaCapabilities
    /// What the server is willing to do on each section: `.recvonly` for a publisher.
    public var localDirection: MediaDirection
    /// Keep at most this many primary codecs per section (1 for an SFU publisher, so
    /// that every subscriber receives the same codec); `nil` keeps all matches.
    public var codecLimit: Int?
    /// The codec a section already carries, by mid, in a renegotiation: kept first
    /// whenever the new offer still lists it at the same payload type, so that a track
    /// that goes on does not change codec under its subscribers.
    public var keptCodecs: [String: CodecDescription] = [:]

    public init(
        capabilities: MediaCapabilities = .default,
        localDirection: MediaDirection = .recvonly,
        codecLimit: Int? = 1
    ) {
        self.capabilities = capabilities
        self.localDirection = localDirection
        self.codecLimit = codecLimit
    }

    /// The result of answering: the answer to send, and what was negotiated.
    public struct Result: Sendable {
        public var answer: SessionDescription
        public var media: [NegotiatedMedia]
        public var remote: RemoteTransportDescription
    }

    public func answer(
        _ offer: SessionDescription,
        local: LocalTransportDescription,
        sessionID: String,
        sessionVersion: UInt64 = 1
    ) throws(SDPError) -> Result {
        let remote = try Self.remoteTransport(of: offer)
        let setup: SetupRole = remote.setup == .passive ? .active : .passive
        var sections: [MediaDescription] = []
        var negotiated: [NegotiatedMedia] = []
        for offered in offer.media {
            if let (section, media) = self.accept(offered, local: local, setup: setup) {
                sections.append(section)
                negotiated.append(media)
            } else {
                sections.append(Self.rejected(offered))
            }
        }
        guard !negotiated.isEmpty else { throw .negotiationFailed(reason: "no media section has a common codec") }
        var attributes: [SDPAttribute] = []
        if offer.bundleMids != nil {
            attributes.append(MediaGroup(semantics: "BUNDLE", mids: negotiated.map(\.mid)).attribute)
        }
        if offer.attributes.contains("extmap-allow-mixed") { attributes.append(SDPAttribute("extmap-allow-mixed")) }
        attributes.append(SDPAttribute("msid-semantic", " WMS *"))
        let answer = SessionDescription(
            origin: .init(sessionID: sessionID, sessionVersion: sessionVersion),
            attributes: attributes,
            media: sections
        )
        return Result(answer: answer, media: negotiated, remote: remote)
    }

    /// The offered ICE credentials, fingerprints, DTLS role and candidates, of the first
    /// RTP section in use (the BUNDLE transport's).
    public static func remoteTransport(of offer: SessionDescription) throws(SDPError) -> RemoteTransportDescription {
        guard let firstActive = offer.media.first(where: { !$0.isDisabled && $0.isRTP }) else {
            throw .negotiationFailed(reason: "the offer has no RTP media section")
        }
        return try Self.remoteTransport(of: offer, section: firstActive)
    }

    /// The offered ICE credentials, fingerprints, DTLS role and candidates of `section`.
    static func remoteTransport(
        of description: SessionDescription,
        section: MediaDescription
    ) throws(SDPError) -> RemoteTransportDescription {
        guard let (ufrag, pwd) = description.iceCredentials(of: section) else {
            throw .negotiationFailed(reason: "missing a=ice-ufrag or a=ice-pwd")
        }
        let fingerprints = description.fingerprints(of: section)
        guard !fingerprints.isEmpty else { throw .negotiationFailed(reason: "missing a=fingerprint") }
        let setup = description.setup(of: section) ?? .actpass
        guard setup != .holdconn else { throw .negotiationFailed(reason: "a=setup:holdconn") }
        let candidates = description.media.flatMap(\.candidates)
        return RemoteTransportDescription(
            iceUfrag: ufrag,
            icePwd: pwd,
            fingerprints: fingerprints,
            setup: setup,
            candidates: candidates,
            isGatheringComplete: description.media.contains { $0.endOfCandidates }
        )
    }

    func accept(
        _ offered: MediaDescription,
        local: LocalTransportDescription,
        setup: SetupRole
    ) -> (MediaDescription, NegotiatedMedia)? {
        guard !offered.isDisabled, offered.isRTP, offered.rtcpMux, let mid = offered.mid else { return nil }
        let codecs = self.acceptedCodecs(of: offered)
        guard !codecs.isEmpty else { return nil }
        let extensions = offered.extensionMaps
            .filter { self.capabilities.extensions(for: offered.kind).contains($0.uri) }
            .map { ExtensionMap(id: $0.id, direction: $0.direction?.reversed, uri: $0.uri) }
        let direction = self.localDirection.intersected(with: offered.direction)
        var section = MediaDescription(
            kind: offered.kind,
            port: 9,
            proto: offered.proto,
            formats: codecs.map { String($0.payloadType) },
            lines: [SDPLine("c", "IN IP4 0.0.0.0")]
        )
        section.attributes.append(SDPAttribute("rtcp", "9 IN IP4 0.0.0.0"))
        section.attributes += local.attributes(setup: setup)
        section.attributes.append(SDPAttribute("mid", mid))
        section.attributes += extensions.map(\.attribute)
        section.attributes.append(SDPAttribute(direction.rawValue))
        section.attributes.append(SDPAttribute("rtcp-mux"))
        if offered.rtcpReducedSize { section.attributes.append(SDPAttribute("rtcp-rsize")) }
        section.attributes += codecs.flatMap(\.attributes)
        var rids: [String] = []
        if let simulcast = offered.simulcast, !simulcast.send.isEmpty, direction.receives {
            let offeredRIDs = Set(offered.rids.filter { $0.direction == .send }.map(\.id))
            let layers = simulcast.send.compactMap { $0.first { offeredRIDs.contains($0.rid) } }
            rids = layers.map(\.rid)
            section.attributes += rids.map { RIDAttribute(id: $0, direction: .recv).attribute }
            section.attributes.append(SimulcastAttribute(receive: layers.map { [$0] }).attribute)
        }
        var media = NegotiatedMedia(
            mid: mid,
            kind: offered.kind,
            codecs: codecs,
            extensions: extensions,
            direction: direction,
            remoteSSRCs: Self.sourceOrder(offered),
            remoteRIDs: rids,
            rtcpReducedSize: offered.rtcpReducedSize
        )
        if rids.isEmpty, direction.receives,
            let simulcast = offered.ssrcGroups.first(where: { $0.semantics == "SIM" }), simulcast.ssrcs.count > 1
        {
            media.remoteSimulcastSSRCs = simulcast.ssrcs
        }
        for group in offered.ssrcGroups where group.semantics == "FID" && group.ssrcs.count == 2 {
            media.remoteRetransmissionSSRCs[group.ssrcs[0]] = group.ssrcs[1]
        }
        return (section, media)
    }

    /// The SSRCs a section lists, media first: an `a=ssrc-group:FID` names its media
    /// SSRC before its RTX SSRC (RFC 5576, RFC 4588); otherwise the order of appearance.
    static func sourceOrder(_ section: MediaDescription) -> [UInt32] {
        var order: [UInt32] = []
        for group in section.ssrcGroups where group.semantics == "FID" {
            for ssrc in group.ssrcs where !order.contains(ssrc) { order.append(ssrc) }
        }
        for attribute in section.ssrcs where !order.contains(attribute.ssrc) { order.append(attribute.ssrc) }
        return order
    }

    /// Offered codecs the server supports, in the offerer's order, each followed by its
    /// RTX codec; feedback reduced to what both sides understand.
    func acceptedCodecs(of offered: MediaDescription) -> [CodecDescription] {
        let offeredCodecs = offered.codecs
        var primaries = offeredCodecs.filter { $0.associatedPayloadType == nil }
        if let kept = offered.mid.flatMap({ self.keptCodecs[$0] }),
            let index = primaries.firstIndex(where: {
                $0.payloadType == kept.payloadType && $0.name.lowercased() == kept.name.lowercased()
            })
        {
            primaries.insert(primaries.remove(at: index), at: 0)
        }
        var accepted: [CodecDescription] = []
        for codec in primaries {
            if let limit = self.codecLimit, accepted.filter({ $0.associatedPayloadType == nil }).count >= limit {
                break
            }
            guard let capability = self.capabilities.codecs(for: offered.kind).first(where: { $0.matches(codec) })
            else {
                continue
            }
            var kept = codec
            kept.feedback = capability.acceptedFeedback(of: codec)
            accepted.append(kept)
            if self.capabilities.acceptsRTX,
                var rtx = offeredCodecs.first(where: { $0.associatedPayloadType == codec.payloadType })
            {
                rtx.feedback = []
                accepted.append(rtx)
            }
        }
        return accepted
    }

    /// A rejected section: port 0, the offered formats, and its mid (RFC 8843 §7.3.3).
    static func rejected(_ offered: MediaDescription) -> MediaDescription {
        var section = MediaDescription(
            kind: offered.kind,
            port: 0,
            proto: offered.proto,
            formats: offered.formats,
            lines: [SDPLine("c", "IN IP4 0.0.0.0")]
        )
        if let mid = offered.mid { section.attributes.append(SDPAttribute("mid", mid)) }
        section.attributes.append(SDPAttribute("inactive"))
        return section
    }
}
