import RTP
import SDP

/// Subscriptions the server offers: one receiving connection per participant, to which
/// tracks are added and from which they are taken with new offers, paused, switched, and
/// restarted (ICE); the answer makes the consumers (the control plane; the per-packet
/// side is `Participant+Routing.swift`).
extension Room {
    /// Builds an offer that sends `producerIDs` (all other participants' producers when
    /// `nil`) to `participantID`, on top of what it already receives;
    /// `acceptSubscriptionAnswer` completes it. Sections of tracks that ended stay in the
    /// offer, inactive, so that the subscriber's media sections keep their order.
    public func subscribe(participantID: String, to producerIDs: [String]? = nil) throws(SFUError) -> String {
        try self.offerSubscription(participantID: participantID, adding: producerIDs).sdp
    }

    /// Builds a subscriber offer that adds `producerIDs` (all other participants'
    /// producers when `nil`) and stops the sections whose mids are in `removingMids`;
    /// returns it with every section it sends, in order.
    public func offerSubscription(
        participantID: String,
        adding producerIDs: [String]? = nil,
        removingMids: Set<String> = []
    ) throws(SFUError) -> (sdp: String, tracks: [SubscribedTrack]) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let chosen: [Producer]
        if let producerIDs {
            chosen = try producerIDs.map { id throws(SFUError) in
                guard let producer = self.producers[id] else { throw .unknownProducer(id) }
                return producer
            }
            participant.declinedTracks.subtract(producerIDs)
        } else {
            // Tracks the subscriber declined (refused or unsubscribed) only when named.
            chosen = self.producers.values.filter {
                $0.participantID != participantID && !participant.declinedTracks.contains($0.id)
            }.sorted { $0.id < $1.id }
        }
        let transport: WebRTCTransport
        if let existing = participant.subscribeTransport {
            transport = existing
        } else {
            guard self.subscriberCount < self.configuration.maximumSubscribers else {
                throw .subscribersFull(maximumSubscribers: self.configuration.maximumSubscribers)
            }
            // The server offers: RFC 8445 §6.1.1 and JSEP make the offerer controlling.
            // (A peer left controlled on both sides must resolve the conflict itself with
            // 487 and a role switch, which not every stack does: Pion v3 lost 4 in 10.)
            transport = try self.makeTransport(participant, .subscribe, controlling: true)
            participant.subscribeTransport = transport
            self.routeFeedback(of: participant, from: transport.media)
        }
        // What an unanswered offer added is offered again: the new offer replaces it.
        var consumers = (participant.pendingSubscription?.consumers ?? participant.consumers).filter {
            !removingMids.contains($0.mid) && self.producers[$0.producer.id] != nil
        }
        let already = Set(consumers.map(\.producer.id))
        for producer in chosen where !already.contains(producer.id) && producer.participantID != participantID {
            let mid = String(participant.nextMid)
            participant.nextMid += 1
            consumers.append(
                Consumer(
                    id: "\(participantID)<\(producer.id)",
                    mid: mid,
                    producer: producer,
                    path: transport.media,
                    ssrc: SSRC.random(in: 1...UInt32.max)
                )
            )
        }
        var tracks = participant.sections.map { section in
            var track = section
            track.direction = .inactive
            return track
        }
        for consumer in consumers {
            let track = SubscriberOffer.Track(
                mid: consumer.mid,
                kind: consumer.producer.kind,
                codecs: consumer.offeredCodecs,
                extensions: Consumer.offeredExtensions(
                    for: consumer.producer,
                    transportWideCC: self.configuration.usesTransportWideCC
                ),
                ssrc: consumer.ssrc,
                rtxSSRC: consumer.retransmissionSSRC,
                cname: "swiftsfu-\(consumer.producer.participantID)",
                streamID: consumer.producer.participantID,
                trackID: consumer.producer.id
            )
            if let index = tracks.firstIndex(where: { $0.mid == consumer.mid }) {
                tracks[index] = track
            } else {
                tracks.append(track)
            }
        }
        guard !tracks.isEmpty else { throw .negotiation("there is nothing to subscribe to") }
        let offer = SubscriberOffer(tracks: tracks)
        participant.pendingSubscription = (offer, consumers)
        participant.subscriptionVersion += 1
        let sdp = offer.offer(
            local: transport.localDescription,
            sessionID: participant.subscriptionSessionID,
            version: participant.subscriptionVersion
        ).sdp
        let sent = consumers.map {
            SubscribedTrack(
                mid: $0.mid,
                track: $0.producer.info,
                mindex: tracks.firstIndex { [mid = $0.mid] in $0.mid == mid } ?? 0
            )
        }
        return (sdp, sent)
    }

    /// Builds an offer that stops sending `producerIDs` to `participantID`: their sections
    /// stay in it, inactive, and the answer ends their consumers. Later subscriptions to
    /// every track leave them out; a subscription that names one offers it again.
    public func unsubscribe(participantID: String, from producerIDs: [String]) throws(SFUError) -> String {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let current = participant.pendingSubscription?.consumers ?? participant.consumers
        var mids: Set<String> = []
        for id in producerIDs {
            guard let consumer = current.first(where: { $0.producer.id == id }) else {
                guard self.producers[id] != nil else { throw .unknownProducer(id) }
                throw .negotiation("track \(id) is not subscribed")
            }
            mids.insert(consumer.mid)
        }
        guard !mids.isEmpty else { throw .negotiation("name the tracks to unsubscribe from") }
        let offer = try self.offerSubscription(participantID: participantID, adding: [], removingMids: mids)
        participant.declinedTracks.formUnion(producerIDs)
        return offer.sdp
    }

    /// Restarts ICE on a subscriber's connection (Janus `configure` with `restart`): a
    /// new offer of what it receives, with new credentials, for it to answer.
    public func restartSubscription(participantID: String) throws(SFUError) -> (sdp: String, tracks: [SubscribedTrack])
    {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard let transport = participant.subscribeTransport else { throw .negotiation("no subscription to restart") }
        try transport.restartICE()
        return try self.offerSubscription(participantID: participantID, adding: [])
    }

    /// Pauses or resumes what a subscriber receives: every section, or those in `mids`.
    /// A resumed video section goes on from its publisher's next key frame, which it asks
    /// for.
    public func setSubscriptionPaused(_ paused: Bool, participantID: String, mids: Set<String>? = nil) throws(SFUError)
    {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        for consumer in participant.consumers where mids?.contains(consumer.mid) ?? true {
            if paused { consumer.pause() } else { consumer.resume() }
        }
    }

    /// Points a subscriber's section at another track of the same kind and codec, without
    /// renegotiation: the outgoing stream stays continuous (RTPStreamRewriter).
    public func switchSubscription(participantID: String, mid: String, to producerID: String) throws(SFUError) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard let consumer = participant.consumers.first(where: { $0.mid == mid }) else {
            throw .negotiation("no subscribed section with mid \(mid)")
        }
        guard let producer = self.producers[producerID] else { throw .unknownProducer(producerID) }
        guard producer !== consumer.producer else { return }
        guard producer.kind == consumer.producer.kind,
            producer.codec.name.lowercased() == consumer.producer.codec.name.lowercased()
        else { throw .negotiation("track \(producerID) is not of the same kind and codec as section \(mid)") }
        consumer.producer.consumers.removeAll { $0 === consumer }
        consumer.switchSource(to: producer)
        producer.consumers.append(consumer)
        producer.requestKeyFrame()
    }

    /// What a subscriber receives, section by section, as last accepted.
    public func subscription(of participantID: String) -> [SubscribedTrack] {
        guard let participant = self.participants[participantID] else { return [] }
        return participant.consumers.map { consumer in
            SubscribedTrack(
                mid: consumer.mid,
                track: consumer.producer.info,
                mindex: participant.sections.firstIndex { $0.mid == consumer.mid } ?? 0
            )
        }
    }

    /// Completes a subscription with the subscriber's answer.
    public func acceptSubscriptionAnswer(participantID: String, answer text: String) throws(SFUError) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard let pending = participant.pendingSubscription, let transport = participant.subscribeTransport else {
            throw .negotiation("no subscription offer is waiting for an answer")
        }
        let accepted: SubscriberOffer.Accepted
        do {
            accepted = try pending.offer.accept(try SessionDescription(parsing: text))
        } catch {
            throw .negotiation("\(error)")
        }
        if transport.state == .new {
            try transport.connect(to: accepted.remote)
        } else {
            try transport.renegotiate(accepted.remote)
        }
        participant.pendingSubscription = nil
        participant.sections = pending.offer.tracks
        let rejected = Set(accepted.rejectedMids)
        for consumer in pending.consumers where rejected.contains(consumer.mid) {
            participant.declinedTracks.insert(consumer.producer.id)
            self.onEvent?(.trackRefused(participantID: participantID, mid: consumer.mid, track: consumer.producer.info))
        }
        // A producer that ended while the offer was out is not consumed.
        let kept = pending.consumers.filter { !rejected.contains($0.mid) && self.producers[$0.producer.id] != nil }
        for consumer in kept where !participant.consumers.contains(where: { $0 === consumer }) {
            if let media = accepted.media.first(where: { $0.mid == consumer.mid }) { consumer.accept(media) }
            self.attach(consumer, subscriber: participantID)
            if transport.state == .connected { consumer.requestKeyFrame() }
        }
        for consumer in participant.consumers where !kept.contains(where: { $0 === consumer }) {
            consumer.producer.consumers.removeAll { $0 === consumer }
        }
        participant.consumers = kept
    }
}
