public import DTLS
public import ICE
import RTP
import Recording
import SDP

/// A room: its participants, their producers and consumers, and the forwarding between
/// them. Lives on one media worker; every method is called on that worker's thread.
public final class Room {
    public let name: String
    public let worker: MediaWorker
    public var configuration: RoomConfiguration
    let certificate: DTLSCertificate
    public private(set) var participants: [String: Participant] = [:]
    var producers: [String: Producer] = [:]
    var periodicKeyFrames: WorkerTimer?
    var reports: WorkerTimer?
    /// Counters that outlive transports: closed transports' traffic, RTCP feedback seen.
    var totals = MediaStatistics()
    public private(set) var isClosed = false
    /// The participant who last started talking: its video climbs first when
    /// subscribers' links are shared out (`Participant.allocateLayers`).
    var activeSpeaker: String?
    /// The recordings made of participants, by participant, and where every publisher is
    /// recorded to while the whole room is (`Room+Recording.swift`).
    var recordings: [String: RoomRecording] = [:]
    var recordsEveryone: (folder: String, recorder: Recorder)?
    /// Participants, tracks, talking and candidates, for the signaling faces.
    public var onEvent: ((RoomEvent) -> Void)?

    public init(name: String, worker: MediaWorker, certificate: DTLSCertificate, configuration: RoomConfiguration) {
        precondition(worker.isCurrentThread, "a room is created on its worker")
        self.name = name
        self.worker = worker
        self.certificate = certificate
        self.configuration = configuration
        self.reports = WorkerTimer(on: worker, every: .seconds(1)) { [weak self] in
            guard let self else { return false }
            self.sendReports()
            self.checkReceiving()
            self.selectLayers()
            return true
        }
        self.startPeriodicKeyFrames()
    }

    /// A keyframe request to every video publisher with subscribers at the configured
    /// interval (Janus's `fir_freq`), when there is one.
    private func startPeriodicKeyFrames() {
        self.periodicKeyFrames?.cancel()
        self.periodicKeyFrames = nil
        guard let interval = self.configuration.keyFrameRequestInterval else { return }
        self.periodicKeyFrames = WorkerTimer(on: self.worker, every: interval) { [weak self] in
            guard let self else { return false }
            for producer in self.producers.values where producer.consumerCount > 0 {
                producer.requestKeyFrame()
            }
            return true
        }
    }

    /// The room's settings changed while it is live (Janus's `edit`): the publisher limit
    /// holds for the next publisher, the bitrate cap for the next REMB (within a second),
    /// the keyframe interval from now. Codecs and the rest hold for sections negotiated
    /// from now on.
    public func reconfigure(_ configuration: RoomConfiguration) {
        let interval = self.configuration.keyFrameRequestInterval
        self.configuration = configuration
        if configuration.keyFrameRequestInterval != interval, !self.isClosed { self.startPeriodicKeyFrames() }
    }

    /// Every producer in the room, in no particular order.
    public var allProducers: [Producer] { Array(self.producers.values) }

    /// Every published track, ordered by participant and mid.
    public var tracks: [TrackInfo] { self.producers.values.map(\.info).sorted { $0.id < $1.id } }

    public var publisherCount: Int { self.participants.values.filter { !$0.producers.isEmpty }.count }

    /// Participants with a subscribing transport.
    public var subscriberCount: Int { self.participants.values.filter { $0.subscribeTransport != nil }.count }

    @discardableResult
    public func join(participantID: String, displayName: String? = nil) -> Participant {
        if let existing = self.participants[participantID] { return existing }
        let participant = Participant(id: participantID, displayName: displayName)
        participant.onEvent = { [weak self] event in
            if case .talking(let speaker, _, true, _) = event { self?.activeSpeaker = speaker }
            self?.onEvent?(event)
        }
        self.participants[participantID] = participant
        self.onEvent?(.participantJoined(participantID: participantID, displayName: displayName))
        return participant
    }

    /// Answers a publisher's offer: one producer per media section it sends. An offer on
    /// a connection that already publishes renegotiates it (`Room+Renegotiation.swift`).
    public func publish(
        participantID: String,
        offer text: String
    ) throws(SFUError) -> (answer: String, producers: [Producer]) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        if let transport = participant.publishTransport {
            return try self.renegotiatePublication(participant, on: transport, offer: try Self.description(text))
        }
        guard self.publisherCount < self.configuration.maximumPublishers else {
            throw .roomFull(maximumPublishers: self.configuration.maximumPublishers)
        }
        let offer = try Self.description(text)
        let (transport, result) = try self.answer(
            offer,
            on: participant,
            .publish,
            capabilities: self.configuration.capabilities,
            direction: .recvonly,
            sessionID: participant.publishSessionID
        )
        participant.publishTransport = transport
        participant.publishVersion = 1
        transport.media.ingressLimit = self.configuration.maximumPublisherBitrate.map(IngressBitrateLimit.init)
        var uris: [UInt8: String] = [:]
        for media in result.media {
            for ext in media.extensions { uris[ext.id] = ext.uri }
            guard media.direction.receives else { continue }
            self.addProducer(for: media, of: participant, on: transport)
        }
        participant.publishedSections = Self.sections(of: offer, answered: result.media)
        participant.extensionMap = RTPHeaderExtensionMap(uris)
        participant.routePublished(from: transport.media)
        // The publisher's estimator hears how its packets arrived (its uplink); REMB at
        // the room's cap still bounds it, as with Janus.
        if let id = participant.extensionMap.transportWideCC { transport.startTransportFeedback(extensionID: id) }
        for producer in participant.producers { self.onEvent?(.trackPublished(producer.info)) }
        self.recordIfEveryoneIs(participantID)
        return (result.answer.sdp, participant.producers)
    }

    /// A producer for `media`, a section `participant` sends on `transport`, bound to
    /// its SSRCs and known to the room; nil when the section settled no codec.
    @discardableResult
    func addProducer(
        for media: NegotiatedMedia,
        of participant: Participant,
        on transport: WebRTCTransport
    )
        -> Producer?
    {
        guard let codec = media.mediaCodecs.first else { return nil }
        let producer = Producer(
            id: "\(participant.id):\(media.mid)",
            participantID: participant.id,
            media: media,
            codec: codec,
            path: transport.media,
            keyFrameRequestInterval: self.configuration.keyFrameRequestThrottle
        )
        if producer.kind == "audio", self.configuration.detectsTalking {
            producer.meter = AudioLevelMeter(
                window: self.configuration.audioLevelWindow,
                threshold: self.configuration.audioLevelThreshold
            )
        }
        participant.producers.append(producer)
        participant.bind(producer, rtx: media.remoteRetransmissionSSRCs, listed: media.remoteSSRCs)
        self.producers[producer.id] = producer
        return producer
    }

    /// Stops a participant's publishing: its producers end, their consumers stop, and
    /// its publishing transport closes. Subscribers keep their sections, inactive, until
    /// their next offer.
    public func unpublish(participantID: String) throws(SFUError) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard let transport = participant.publishTransport else { throw .negotiation("not publishing") }
        for producer in participant.producers { self.remove(producer) }
        participant.producers = []
        participant.streamsBySSRC = [:]
        participant.retransmissionSSRCs = [:]
        participant.publishTransport = nil
        participant.publishedSections = PublishedSections()
        self.retire(transport)
    }

    /// Mutes or unmutes a participant's tracks (all of them, or one): a muted track is
    /// not forwarded.
    public func setMuted(_ muted: Bool, participantID: String, trackID: String? = nil) throws(SFUError) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let chosen = participant.producers.filter { trackID == nil || $0.id == trackID }
        if let trackID, chosen.isEmpty { throw .unknownProducer(trackID) }
        for producer in chosen where producer.isPaused != muted {
            producer.isPaused = muted
            if muted { self.stopMetering(producer) } else { producer.requestKeyFrame() }
            self.onEvent?(.trackMuted(producer.info))
        }
    }

    /// A candidate the participant trickles for one of its transports (`candidate:…`,
    /// or empty for end-of-candidates).
    public func addRemoteCandidate(_ candidate: String, participantID: String, role: TransportRole) throws(SFUError) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let transport = role == .publish ? participant.publishTransport : participant.subscribeTransport
        guard let transport else { throw .negotiation("no \(role.rawValue) transport to add a candidate to") }
        try transport.addRemoteCandidate(candidate)
    }

    /// Removes a participant: its producers, their consumers everywhere, its transports.
    public func leave(participantID: String) {
        guard let participant = self.participants.removeValue(forKey: participantID) else { return }
        if self.activeSpeaker == participantID { self.activeSpeaker = nil }
        for consumer in participant.consumers {
            self.totals.add(consumer)
            consumer.producer.consumers.removeAll { $0 === consumer }
        }
        participant.consumers = []
        for producer in participant.producers { self.remove(producer) }
        participant.producers = []
        participant.streamsBySSRC = [:]
        participant.retransmissionSSRCs = [:]
        if let transport = participant.publishTransport { self.retire(transport) }
        if let transport = participant.subscribeTransport { self.retire(transport) }
        participant.publishTransport = nil
        participant.subscribeTransport = nil
        participant.pendingSubscription = nil
        self.onEvent?(.participantLeft(participantID: participantID))
    }

    /// Closes every participant's transports.
    public func close() {
        self.isClosed = true
        for id in Array(self.participants.keys) { self.leave(participantID: id) }
        self.periodicKeyFrames?.cancel()
        self.periodicKeyFrames = nil
        self.reports?.cancel()
        self.reports = nil
        self.onEvent = nil
    }

    /// Tells the faces which tracks started or stopped receiving media since the last
    /// check (once a second).
    func checkReceiving() {
        let now = ContinuousClock.now
        for producer in self.producers.values {
            guard let receiving = producer.checkReceiving(now: now) else { continue }
            self.onEvent?(.trackReceiving(producer.info, isReceiving: receiving))
        }
    }

    /// Ends one producer: no consumer keeps it, and the room forgets it.
    func remove(_ producer: Producer) {
        if producer.recordingTap != nil { self.stopRecording(participantID: producer.participantID) }
        self.producers.removeValue(forKey: producer.id)
        for other in self.participants.values {
            other.consumers.removeAll { $0.producer === producer }
        }
        for consumer in producer.consumers { self.totals.add(consumer) }
        self.totals.add(producer)
        producer.consumers.removeAll()
        self.stopMetering(producer)
        self.onEvent?(.trackUnpublished(producer.info))
    }

    /// Restarts a producer's talking detection; one that was talking is reported as
    /// stopped (at silence, 127).
    func stopMetering(_ producer: Producer) {
        guard producer.meter?.reset() == true else { return }
        self.onEvent?(
            .talking(participantID: producer.participantID, trackID: producer.id, isTalking: false, level: 127)
        )
    }

    /// Closes a transport and keeps its counters in the room's totals.
    func retire(_ transport: WebRTCTransport) {
        self.totals.addTraffic(of: transport)
        transport.close()
    }

    /// Answers a client's offer on a new transport of `participant` for `role`, and
    /// starts connecting it; the transport is closed again when either step fails.
    func answer(
        _ offer: SessionDescription,
        on participant: Participant,
        _ role: TransportRole,
        capabilities: MediaCapabilities,
        direction: MediaDirection,
        sessionID: String = Room.sessionID()
    ) throws(SFUError) -> (WebRTCTransport, OfferAnswer.Result) {
        // The answerer is controlled, unless the offerer is ICE lite (RFC 8445 §6.1.1).
        let transport = try self.makeTransport(participant, role, controlling: offer.attributes.contains("ice-lite"))
        do {
            let result = try OfferAnswer(capabilities: capabilities, localDirection: direction)
                .answer(offer, local: transport.localDescription, sessionID: sessionID)
            try transport.connect(to: result.remote)
            return (transport, result)
        } catch {
            transport.close()
            throw error as? SFUError ?? .negotiation("\(error)")
        }
    }

    /// A new transport of `participant` for `role`, whose ICE agent is `controlling` or
    /// controlled as the side that offered decides.
    func makeTransport(
        _ participant: Participant,
        _ role: TransportRole,
        controlling: Bool
    ) throws(SFUError) -> WebRTCTransport {
        var ice = self.configuration.ice
        ice.isControlling = controlling
        let transport = try WebRTCTransport(
            id: "\(participant.id)/\(role.rawValue)",
            worker: self.worker,
            certificate: self.certificate,
            ice: ice
        )
        let participantID = participant.id
        transport.didGatherCandidate = { [weak self] candidate in
            self?.onEvent?(.localCandidate(participantID: participantID, role: role, candidate: candidate))
        }
        transport.didGoSilent = { [weak self] in
            self?.onEvent?(.transportSilent(participantID: participantID, role: role))
        }
        transport.didChangeState = { [weak self, weak participant] state in
            // A subscriber that just got its keys needs a keyframe of every track it takes.
            if role == .subscribe, state == .connected, let participant {
                for consumer in participant.consumers { consumer.requestKeyFrame() }
            }
            self?.onEvent?(.transportStateChanged(participantID: participantID, role: role, state: state))
        }
        return transport
    }

    /// A client's SDP, or the negotiation error its parser found.
    static func description(_ text: String) throws(SFUError) -> SessionDescription {
        do { return try SessionDescription(parsing: text) } catch { throw .negotiation("\(error)") }
    }

    static func sessionID() -> String { String(UInt64.random(in: 1...(UInt64(1) << 62))) }
}
