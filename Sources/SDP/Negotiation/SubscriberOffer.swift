/// Builds the server's offers to subscribers and accepts their answers (RFC 8829 §5.2,
/// §5.10): the server sends each track on its own media section with its own SSRC.
public struct SubscriberOffer: Sendable {
    /// One track the server sends.
    public struct Track: Equatable, Sendable {
        public var mid: String
        /// "audio" or "video".
        public var kind: String
        /// Codecs with the payload types to offer; RTX codecs carry `apt=`.
        public var codecs: [CodecDescription]
        public var extensions: [ExtensionMap]
        public var ssrc: UInt32
        public var rtxSSRC: UInt32?
        public var cname: String
        public var streamID: String
        public var trackID: String
        /// `.sendonly`, or `.inactive` for a section kept after its track ended.
        public var direction: MediaDirection

        public init(
            mid: String,
            kind: String,
            codecs: [CodecDescription],
            extensions: [ExtensionMap],
            ssrc: UInt32,
            rtxSSRC: UInt32? = nil,
            cname: String,
            streamID: String,
            trackID: String,
            direction: MediaDirection = .sendonly
        ) {
            self.mid = mid
            self.kind = kind
            self.codecs = codecs
            self.extensions = extensions
            self.ssrc = ssrc
            self.rtxSSRC = rtxSSRC
            self.cname = cname
            self.streamID = streamID
            self.trackID = trackID
            self.direction = direction
        }

        /// The lines naming the stream's sources: its RTX group, and each SSRC's cname
        /// and msid (RFC 5576, RFC 4588).
        public var sourceAttributes: [SDPAttribute] {
            var attributes: [SDPAttribute] = []
            if let rtx = self.rtxSSRC {
                attributes.append(SSRCGroup(semantics: "FID", ssrcs: [self.ssrc, rtx]).attribute)
            }
            for ssrc in [self.ssrc] + (self.rtxSSRC.map { [$0] } ?? []) {
                attributes.append(SSRCAttribute(ssrc: ssrc, name: "cname", value: self.cname).attribute)
                attributes.append(
                    SSRCAttribute(ssrc: ssrc, name: "msid", value: "\(self.streamID) \(self.trackID)").attribute
                )
            }
            return attributes
        }
    }

    public var tracks: [Track]

    public init(tracks: [Track]) {
        self.tracks = tracks
    }

    /// The offer: BUNDLE of every section, `setup:actpass`, rtcp-mux and reduced size.
    public func offer(local: LocalTransportDescription, sessionID: String, version: UInt64) -> SessionDescription {
        let sent = Set(self.tracks.filter { $0.direction != .inactive }.map(\.trackID))
        let sections = self.tracks.map { track in
            var section = MediaDescription(
                kind: track.kind,
                port: 9,
                proto: "UDP/TLS/RTP/SAVPF",
                formats: track.codecs.map { String($0.payloadType) },
                lines: [SDPLine("c", "IN IP4 0.0.0.0")]
            )
            section.attributes.append(SDPAttribute("rtcp", "9 IN IP4 0.0.0.0"))
            section.attributes += local.attributes(setup: .actpass)
            section.attributes.append(SDPAttribute("mid", track.mid))
            section.attributes += track.extensions.map(\.attribute)
            section.attributes.append(SDPAttribute(track.direction.rawValue))
            // An inactive section whose track is sent again in another section (taken
            // again after an unsubscribe) names no stream: a browser refuses an offer that
            // names one track twice. Other inactive sections go on naming theirs, as
            // before (the narrowest change to offers that worked).
            let sends = track.direction != .inactive || !sent.contains(track.trackID)
            if sends {
                section.attributes.append(MediaStreamID(streamID: track.streamID, trackID: track.trackID).attribute)
            }
            section.attributes.append(SDPAttribute("rtcp-mux"))
            section.attributes.append(SDPAttribute("rtcp-rsize"))
            section.attributes += track.codecs.flatMap(\.attributes)
            if sends { section.attributes += track.sourceAttributes }
            return section
        }
        var attributes = [MediaGroup(semantics: "BUNDLE", mids: self.tracks.map(\.mid)).attribute]
        attributes.append(SDPAttribute("extmap-allow-mixed"))
        attributes.append(SDPAttribute("msid-semantic", " WMS *"))
        return SessionDescription(
            origin: .init(sessionID: sessionID, sessionVersion: version),
            attributes: attributes,
            media: sections
        )
    }

    /// The result of accepting a subscriber's answer.
    public struct Accepted: Sendable {
        public var media: [NegotiatedMedia]
        /// Mids the subscriber rejected (port 0).
        public var rejectedMids: [String]
        public var remote: RemoteTransportDescription
    }

    /// Checks a subscriber's answer against this offer and returns what was settled.
    public func accept(_ answer: SessionDescription) throws(SDPError) -> Accepted {
        guard answer.media.count == self.tracks.count else {
            throw .negotiationFailed(
                reason: "the answer has \(answer.media.count) media sections, the offer \(self.tracks.count)"
            )
        }
        guard let active = answer.media.first(where: { $0.port != 0 }) else {
            throw .negotiationFailed(reason: "the answer rejects every media section")
        }
        let remote = try OfferAnswer.remoteTransport(of: answer, section: active)
        guard remote.setup == .active || remote.setup == .passive else {
            throw .negotiationFailed(reason: "an answer must say a=setup:active or passive")
        }
        var media: [NegotiatedMedia] = []
        var rejected: [String] = []
        for (track, section) in zip(self.tracks, answer.media) {
            guard section.mid == track.mid, section.kind == track.kind else {
                throw .negotiationFailed(reason: "media section \(track.mid) is out of order or of another kind")
            }
            if section.port == 0 {
                rejected.append(track.mid)
                continue
            }
            let offeredTypes = Set(track.codecs.map(\.payloadType))
            let answered = section.payloadTypes
            guard answered.allSatisfy(offeredTypes.contains) else {
                throw .negotiationFailed(
                    reason: "media section \(track.mid) answers a payload type that was not offered"
                )
            }
            let codecs = answered.compactMap { pt in track.codecs.first { $0.payloadType == pt } }
            guard codecs.contains(where: { $0.associatedPayloadType == nil }) else {
                throw .negotiationFailed(reason: "media section \(track.mid) has no common codec")
            }
            let answeredURIs = Set(section.extensionMaps.map(\.uri))
            media.append(
                NegotiatedMedia(
                    mid: track.mid,
                    kind: track.kind,
                    codecs: codecs,
                    extensions: track.extensions.filter { answeredURIs.contains($0.uri) },
                    direction: track.direction.intersected(with: section.direction),
                    remoteSSRCs: section.ssrcs.map(\.ssrc),
                    remoteRIDs: [],
                    rtcpReducedSize: section.rtcpReducedSize
                )
            )
        }
        return Accepted(media: media, rejectedMids: rejected, remote: remote)
    }
}
