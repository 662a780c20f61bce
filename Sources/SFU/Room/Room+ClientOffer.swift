import RTP
import SDP

/// Subscriptions the subscriber offers: a receive-only peer connection per publisher it
/// watches, the flow of call backends built on Kurento's group call (`ReceiveVideoFrom`).
extension Room {
    /// Answers a subscriber's own offer to receive `producerIDs`. Each offered section
    /// takes the first of those producers of its kind whose codec it offers, at the
    /// offerer's payload types; a section left without one is answered inactive. The
    /// answer names each sent stream's SSRC (and its RTX SSRC) and carries no header
    /// extensions: forwarded packets keep their publisher's extension ids, which the
    /// subscriber's would not match.
    ///
    /// One offer per participant: it makes the participant's subscribing transport.
    public func answerSubscription(
        participantID: String,
        offer text: String,
        producerIDs: [String]
    ) throws(SFUError) -> (answer: String, tracks: [SubscribedTrack]) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard participant.subscribeTransport == nil else {
            throw .negotiation("this participant already receives; one offer per peer connection")
        }
        let chosen = try producerIDs.map { id throws(SFUError) in
            guard let producer = self.producers[id] else { throw .unknownProducer(id) }
            return producer
        }
        guard !chosen.isEmpty else { throw .negotiation("there is nothing to receive") }
        let (transport, answered) = try self.answer(
            try Self.description(text),
            on: participant,
            .subscribe,
            capabilities: Self.capabilities(sending: chosen, transportWideCC: self.configuration.usesTransportWideCC),
            direction: .sendonly,
            sessionID: participant.subscriptionSessionID
        )
        participant.subscriptionVersion = 1
        var result = answered
        participant.subscribeTransport = transport
        self.routeFeedback(of: participant, from: transport.media)

        var free = chosen
        var consumers: [Consumer] = []
        var tracks: [SubscribedTrack] = []
        for media in result.media {
            guard let index = result.answer.media.firstIndex(where: { $0.mid == media.mid }) else { continue }
            guard media.direction.sends, let codec = media.mediaCodecs.first,
                let slot = free.firstIndex(where: { $0.kind == media.kind && Self.sameCodec($0.codec, codec) })
            else {
                Self.setDirection(.inactive, of: &result.answer.media[index])
                continue
            }
            let producer = free.remove(at: slot)
            let consumer = Consumer(
                id: "\(participantID)<\(producer.id)",
                mid: media.mid,
                producer: producer,
                path: transport.media,
                ssrc: SSRC.random(in: 1...UInt32.max)
            )
            consumer.accept(media)
            let track = SubscriberOffer.Track(
                mid: media.mid,
                kind: media.kind,
                codecs: media.codecs,
                extensions: [],
                ssrc: consumer.ssrc,
                rtxSSRC: consumer.retransmissionPayloadType == nil ? nil : consumer.retransmissionSSRC,
                cname: "swiftsfu-\(producer.participantID)",
                streamID: producer.participantID,
                trackID: producer.id
            )
            Self.describe(track, in: &result.answer.media[index])
            consumers.append(consumer)
            participant.sections.append(track)
            tracks.append(SubscribedTrack(mid: media.mid, track: producer.info, mindex: index))
        }
        guard !consumers.isEmpty else {
            participant.subscribeTransport = nil
            self.retire(transport)
            throw .negotiation("the offer has no section for these tracks' kinds and codecs")
        }
        for consumer in consumers { self.attach(consumer, subscriber: participantID) }
        participant.consumers = consumers
        return (result.answer.sdp, tracks)
    }

    /// Answers a subsequent offer of the connection `answerSubscription` made (an ICE
    /// restart, `createOffer({iceRestart: true})`, after a change of network): each
    /// section goes on with its track, stream and SSRC, without a new DTLS handshake; new
    /// ICE credentials restart ICE, and media goes on over the old pair until a new one
    /// is selected. `nil` when the offer comes from another peer connection (another
    /// DTLS certificate): the caller makes a new connection for it. Refused, with the
    /// connection left as it was, when a section that carries a track is gone, changed
    /// kind or no longer offers the track's codec at its payload type.
    public func renegotiateSubscription(participantID: String, offer text: String) throws(SFUError) -> String? {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard let transport = participant.subscribeTransport, let current = transport.remote else { return nil }
        let offer = try Self.description(text)
        let remote: RemoteTransportDescription
        do { remote = try OfferAnswer.remoteTransport(of: offer) } catch { throw .negotiation("\(error)") }
        guard Set(remote.fingerprints) == Set(current.fingerprints) else { return nil }

        var negotiation = OfferAnswer(
            capabilities: Self.capabilities(
                sending: participant.consumers.map(\.producer),
                transportWideCC: self.configuration.usesTransportWideCC
            ),
            localDirection: .sendonly
        )
        for track in participant.sections {
            negotiation.keptCodecs[track.mid] = track.codecs.first { $0.associatedPayloadType == nil }
        }
        /// The answer, each section that carries a track described as before.
        func answer(version: UInt64) throws(SFUError) -> String {
            var result: OfferAnswer.Result
            do {
                result = try negotiation.answer(
                    offer,
                    local: transport.localDescription,
                    sessionID: participant.subscriptionSessionID,
                    sessionVersion: version
                )
            } catch {
                throw .negotiation("\(error)")
            }
            for consumer in participant.consumers {
                let media = result.media.first { $0.mid == consumer.mid }
                guard let media, media.direction.sends, let codec = media.mediaCodecs.first,
                    codec.payloadType == consumer.payloadType, Self.sameCodec(consumer.producer.codec, codec)
                else {
                    throw .negotiation(
                        "section \(consumer.mid) carries \(consumer.producer.id); the offer must keep it, of its kind and codec"
                    )
                }
            }
            for index in result.answer.media.indices {
                let mid = result.answer.media[index].mid
                if participant.consumers.contains(where: { $0.mid == mid }),
                    let track = participant.sections.first(where: { $0.mid == mid })
                {
                    Self.describe(track, in: &result.answer.media[index])
                } else {
                    Self.setDirection(.inactive, of: &result.answer.media[index])
                }
            }
            return result.answer.sdp
        }
        // Checked before the transport changes, answered after (new local credentials).
        _ = try answer(version: participant.subscriptionVersion + 1)
        try transport.renegotiate(remote)
        participant.subscriptionVersion += 1
        return try answer(version: participant.subscriptionVersion)
    }

    /// What the answer may settle: the producers' own codecs, with the feedback the
    /// server understands for them; RTX; no header extensions.
    static func capabilities(sending producers: [Producer], transportWideCC: Bool) -> MediaCapabilities {
        let known = MediaCapabilities.default
        func capability(_ producer: Producer) -> CodecCapability {
            let codec = producer.codec
            let list = producer.kind == "audio" ? known.audioCodecs : known.videoCodecs
            var capability =
                list.first { $0.matches(codec) }
                ?? CodecCapability(name: codec.name, clockRate: codec.clockRate, channels: codec.channels)
            capability.name = codec.name
            return capability
        }
        // What the server writes into every copy, and what the publishers of this kind
        // send that passes through; the answer keeps the offerer's ids.
        func extensions(_ kind: String) -> [String] {
            let offered = producers.filter { $0.kind == kind }.flatMap {
                Consumer.offeredExtensions(for: $0, transportWideCC: transportWideCC).map(\.uri)
            }
            return Consumer.serverExtensionIDs.map(\.uri).filter(Set(offered).contains)
        }
        return MediaCapabilities(
            audioCodecs: producers.filter { $0.kind == "audio" }.map(capability),
            videoCodecs: producers.filter { $0.kind == "video" }.map(capability),
            audioExtensions: extensions("audio"),
            videoExtensions: extensions("video"),
            acceptsRTX: true
        )
    }

    static func sameCodec(_ sent: CodecDescription, _ settled: CodecDescription) -> Bool {
        sent.name.lowercased() == settled.name.lowercased() && sent.clockRate == settled.clockRate
            && (sent.channels ?? 1) == (settled.channels ?? 1)
    }

    static func setDirection(_ direction: MediaDirection, of section: inout MediaDescription) {
        let names: Set<String> = ["sendrecv", "sendonly", "recvonly", "inactive"]
        section.attributes.removeAll { names.contains($0.name) }
        section.attributes.append(SDPAttribute(direction.rawValue))
    }

    /// The stream a sending section carries: msid, SSRC and RTX SSRC.
    static func describe(_ track: SubscriberOffer.Track, in section: inout MediaDescription) {
        section.attributes.append(MediaStreamID(streamID: track.streamID, trackID: track.trackID).attribute)
        section.attributes += track.sourceAttributes
    }
}
