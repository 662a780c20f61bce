import RTP
import SDP

/// A new offer on a live publishing transport (RFC 8829 §5.3, subsequent offers): the
/// publisher adds, removes or replaces tracks (a camera turned on after joining, a
/// screen share as a second video track), or restarts ICE. Tracks that go on keep
/// their producer, codec and subscribers; their packets never stop.
extension Room {
    /// Answers `offer`, a subsequent offer of `participant`'s publishing connection.
    /// Refused, with the live call left as it was, when it moves a section out of the
    /// BUNDLE group, gives a mid another kind, or changes the DTLS certificate.
    func renegotiatePublication(
        _ participant: Participant,
        on transport: WebRTCTransport,
        offer: SessionDescription
    ) throws(SFUError) -> (answer: String, producers: [Producer]) {
        try Self.checkContinuity(of: offer, after: participant.publishedSections)
        let remote: RemoteTransportDescription
        do { remote = try OfferAnswer.remoteTransport(of: offer) } catch { throw .negotiation("\(error)") }
        try transport.renegotiate(remote)

        var negotiation = OfferAnswer(capabilities: self.configuration.capabilities, localDirection: .recvonly)
        for producer in participant.producers { negotiation.keptCodecs[producer.mid] = producer.codec }
        participant.publishVersion += 1
        let result: OfferAnswer.Result
        do {
            result = try negotiation.answer(
                offer,
                local: transport.localDescription,
                sessionID: participant.publishSessionID,
                sessionVersion: participant.publishVersion
            )
        } catch {
            throw .negotiation("\(error)")
        }

        var sent: [String: NegotiatedMedia] = [:]
        for media in result.media where media.direction.receives { sent[media.mid] = media }
        // A track goes on when its section still sends the same codec from the same
        // source; otherwise it ends, and what the section sends now is a new track.
        let ending = participant.producers.filter { producer in
            guard let media = sent[producer.mid] else { return true }
            return !Self.continues(producer, in: media)
        }
        // (A track that ends stops its participant's recording.)
        let wasRecorded = self.recordings[participant.id] != nil
        for producer in ending { self.endPublishedTrack(producer, of: participant) }
        let kept = Set(participant.producers.map(\.mid))
        var added: [Producer] = []
        for media in result.media where media.direction.receives && !kept.contains(media.mid) {
            if let producer = self.addProducer(for: media, of: participant, on: transport) { added.append(producer) }
        }
        participant.publishedSections = Self.sections(of: offer, answered: result.media)
        var uris: [UInt8: String] = [:]
        for media in result.media { for ext in media.extensions { uris[ext.id] = ext.uri } }
        participant.extensionMap = RTPHeaderExtensionMap(uris)
        for producer in added { self.onEvent?(.trackPublished(producer.info)) }
        // A recording holds the tracks it started with: with others, it starts again.
        if !ending.isEmpty || !added.isEmpty, wasRecorded {
            self.stopRecording(participantID: participant.id)
            self.recordIfEveryoneIs(participant.id)
        }
        return (result.answer.sdp, participant.producers)
    }

    /// What a subsequent offer may not change: a section's kind, and the BUNDLE group of
    /// the sections in use (the transport they share is the group's first section's).
    static func checkContinuity(
        of offer: SessionDescription,
        after previous: PublishedSections
    ) throws(SFUError) {
        for section in offer.media {
            guard let mid = section.mid, let kind = previous.kinds[mid], kind != section.kind else { continue }
            throw .negotiation("mid \(mid) was \(kind) and is offered as \(section.kind); a mid keeps its kind")
        }
        guard let tag = previous.bundleTag else { return }
        guard let group = offer.bundleMids, !group.isEmpty else {
            throw .negotiation("the offer has no BUNDLE group; the connection's sections share one transport")
        }
        let live = Set(offer.media.filter { !$0.isDisabled }.compactMap(\.mid))
        if live.contains(tag), group.first != tag {
            throw .negotiation("the offer moves the BUNDLE group's tag from mid \(tag) to \(group.first ?? "none")")
        }
        for mid in previous.bundled where live.contains(mid) && !group.contains(mid) {
            throw .negotiation("mid \(mid) left the BUNDLE group; the connection's sections share one transport")
        }
    }

    /// Whether `producer` goes on as `media`, a section of a subsequent offer: the same
    /// codec at the same payload type, and the same source (its rids, or a listed SSRC).
    static func continues(_ producer: Producer, in media: NegotiatedMedia) -> Bool {
        guard let codec = media.mediaCodecs.first, codec.payloadType == producer.codec.payloadType,
            codec.name.lowercased() == producer.codec.name.lowercased()
        else { return false }
        let rids = producer.streams.compactMap(\.rid)
        if !rids.isEmpty { return Set(rids) == Set(media.remoteRIDs) }
        guard !media.remoteRIDs.isEmpty || !media.remoteSSRCs.isEmpty else { return true }
        return producer.streams.contains { $0.ssrc.map(media.remoteSSRCs.contains) ?? false }
    }

    /// Ends a track of a publisher that goes on publishing others.
    func endPublishedTrack(_ producer: Producer, of participant: Participant) {
        self.remove(producer)
        participant.producers.removeAll { $0 === producer }
        participant.streamsBySSRC = participant.streamsBySSRC.filter { $0.value.producer !== producer }
        participant.retransmissionSSRCs = participant.retransmissionSSRCs.filter { $0.value.producer !== producer }
    }

    /// The kinds and BUNDLE group a publishing connection settled, for its next offer.
    static func sections(of offer: SessionDescription, answered media: [NegotiatedMedia]) -> PublishedSections {
        var kinds: [String: String] = [:]
        for section in offer.media { if let mid = section.mid { kinds[mid] = section.kind } }
        let answered = Set(media.map(\.mid))
        let bundled = (offer.bundleMids ?? []).filter(answered.contains)
        return PublishedSections(kinds: kinds, bundled: bundled)
    }
}

/// A publishing connection's sections as last negotiated: each mid's kind, and the
/// mids in its BUNDLE group, the tag (the transport's section) first.
struct PublishedSections {
    var kinds: [String: String] = [:]
    var bundled: [String] = []
    var bundleTag: String? { self.bundled.first }
}
