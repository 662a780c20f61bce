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
            direction: .sendonly
        )
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
