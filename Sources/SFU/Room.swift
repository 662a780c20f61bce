public import DTLS
public import ICE
import RTP
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

    public init(name: String, worker: MediaWorker, certificate: DTLSCertificate, configuration: RoomConfiguration) {
        precondition(worker.isCurrentThread, "a room is created on its worker")
        self.name = name
        self.worker = worker
        self.certificate = certificate
        self.configuration = configuration
        self.reports = WorkerTimer(on: worker, every: .seconds(1)) { [weak self] in
            self?.sendReports()
            return self != nil
        }
        if let interval = configuration.keyFrameRequestInterval {
            self.periodicKeyFrames = WorkerTimer(on: worker, every: interval) { [weak self] in
                guard let self else { return false }
                for producer in self.producers.values where producer.consumerCount > 0 {
                    producer.requestKeyFrame()
                }
                return true
            }
        }
    }

    /// Every producer in the room, in no particular order.
    public var allProducers: [Producer] { Array(self.producers.values) }

    public var publisherCount: Int { self.participants.values.filter { !$0.producers.isEmpty }.count }

    @discardableResult
    public func join(participantID: String, displayName: String? = nil) -> Participant {
        if let existing = self.participants[participantID] { return existing }
        let participant = Participant(id: participantID, displayName: displayName)
        self.participants[participantID] = participant
        return participant
    }

    /// Answers a publisher's offer: one producer per media section it sends.
    public func publish(
        participantID: String,
        offer text: String
    ) throws(SFUError) -> (answer: String, producers: [Producer]) {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        guard participant.publishTransport == nil else { throw .negotiation("already publishing; unpublish first") }
        guard self.publisherCount < self.configuration.maximumPublishers else {
            throw .roomFull(maximumPublishers: self.configuration.maximumPublishers)
        }
        let offer: SessionDescription
        do { offer = try SessionDescription(parsing: text) } catch { throw .negotiation("\(error)") }
        let transport = try self.makeTransport(id: "\(participantID)/publish")
        let result: OfferAnswer.Result
        do {
            result = try OfferAnswer(capabilities: self.configuration.capabilities, localDirection: .recvonly)
                .answer(offer, local: transport.localDescription, sessionID: Self.sessionID())
            try transport.connect(to: result.remote)
        } catch {
            transport.close()
            throw error as? SFUError ?? .negotiation("\(error)")
        }
        participant.publishTransport = transport
        var uris: [UInt8: String] = [:]
        for media in result.media where media.direction == .recvonly || media.direction == .sendrecv {
            guard let codec = media.mediaCodecs.first else { continue }
            let producer = Producer(
                id: "\(participantID):\(media.mid)",
                participantID: participantID,
                media: media,
                codec: codec,
                transport: transport,
                keyFrameRequestInterval: self.configuration.keyFrameRequestThrottle
            )
            for ext in media.extensions { uris[ext.id] = ext.uri }
            participant.producers.append(producer)
            if let ssrc = producer.ssrc { participant.producersBySSRC[ssrc] = producer }
            self.producers[producer.id] = producer
        }
        participant.extensionMap = RTPHeaderExtensionMap(uris)
        transport.didReceiveRTCP = { [unowned participant] packet in
            guard case .senderReport(let report) = packet,
                let producer = participant.producersBySSRC[report.ssrc]
            else { return }
            producer.statistics.didReceive(report, at: .now)
        }
        transport.didReceiveRTP = { [unowned participant] packet in
            guard let producer = participant.producer(for: packet) else {
                transport.drops.record(.unknownSSRC)
                return
            }
            producer.forward(packet)
        }
        return (result.answer.sdp, participant.producers)
    }

    /// Builds an offer that sends `producerIDs` (all other participants' producers when
    /// `nil`) to `participantID`; `acceptSubscriptionAnswer` completes it.
    public func subscribe(participantID: String, to producerIDs: [String]? = nil) throws(SFUError) -> String {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let chosen: [Producer]
        if let producerIDs {
            chosen = try producerIDs.map { id throws(SFUError) in
                guard let producer = self.producers[id] else { throw .unknownProducer(id) }
                return producer
            }
        } else {
            chosen = self.producers.values.filter { $0.participantID != participantID }.sorted { $0.id < $1.id }
        }
        let transport: WebRTCTransport
        if let existing = participant.subscribeTransport {
            transport = existing
        } else {
            transport = try self.makeTransport(id: "\(participantID)/subscribe")
            participant.subscribeTransport = transport
            self.wireSubscriber(participant, transport)
        }
        let already = Set(participant.consumers.map(\.producer.id))
        var consumers = participant.consumers
        for producer in chosen where !already.contains(producer.id) {
            let mid = String(participant.nextMid)
            participant.nextMid += 1
            consumers.append(
                Consumer(
                    id: "\(participantID)<\(producer.id)",
                    mid: mid,
                    producer: producer,
                    transport: transport,
                    ssrc: SSRC.random(in: 1...UInt32.max)
                )
            )
        }
        let tracks = consumers.map { consumer in
            SubscriberOffer.Track(
                mid: consumer.mid,
                kind: consumer.producer.kind,
                codecs: [consumer.producer.codec],
                extensions: [],
                ssrc: consumer.ssrc,
                cname: "swiftsfu-\(consumer.producer.participantID)",
                streamID: consumer.producer.participantID,
                trackID: consumer.producer.id
            )
        }
        let offer = SubscriberOffer(tracks: tracks)
        participant.pendingSubscription = (offer, consumers)
        participant.subscriptionVersion += 1
        return offer.offer(
            local: transport.localDescription,
            sessionID: Self.sessionID(),
            version: participant.subscriptionVersion
        ).sdp
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
        participant.pendingSubscription = nil
        if transport.state == .new { try transport.connect(to: accepted.remote) }
        let rejected = Set(accepted.rejectedMids)
        let kept = pending.consumers.filter { !rejected.contains($0.mid) }
        for consumer in kept where !participant.consumers.contains(where: { $0 === consumer }) {
            if let media = accepted.media.first(where: { $0.mid == consumer.mid }),
                let codec = media.mediaCodecs.first
            {
                consumer.payloadType = codec.payloadType
            }
            consumer.producer.consumers.append(consumer)
            if transport.state == .connected { consumer.producer.requestKeyFrame() }
        }
        participant.consumers = kept
    }

    /// Removes a participant: its producers, their consumers everywhere, its transports.
    public func leave(participantID: String) {
        guard let participant = self.participants.removeValue(forKey: participantID) else { return }
        for consumer in participant.consumers {
            consumer.producer.consumers.removeAll { $0 === consumer }
        }
        for producer in participant.producers {
            self.producers.removeValue(forKey: producer.id)
            for other in self.participants.values {
                other.consumers.removeAll { $0.producer === producer }
            }
            producer.consumers.removeAll()
        }
        participant.publishTransport?.close()
        participant.subscribeTransport?.close()
    }

    /// Closes every participant's transports.
    public func close() {
        for id in Array(self.participants.keys) { self.leave(participantID: id) }
        self.periodicKeyFrames?.cancel()
        self.periodicKeyFrames = nil
        self.reports?.cancel()
        self.reports = nil
    }

    func makeTransport(id: String) throws(SFUError) -> WebRTCTransport {
        try WebRTCTransport(id: id, worker: self.worker, certificate: self.certificate, ice: self.configuration.ice)
    }

    func wireSubscriber(_ participant: Participant, _ transport: WebRTCTransport) {
        transport.didChangeState = { [unowned participant] state in
            guard state == .connected else { return }
            for consumer in participant.consumers { consumer.producer.requestKeyFrame() }
        }
        transport.didReceiveRTCP = { [unowned participant] packet in
            switch packet {
            case .pictureLossIndication(let pli):
                participant.consumers.first { $0.ssrc == pli.mediaSSRC }?.producer.requestKeyFrame()
            case .fullIntraRequest(let fir):
                for entry in fir.entries {
                    participant.consumers.first { $0.ssrc == entry.ssrc }?.producer.requestKeyFrame()
                }
            case .genericNACK(let nack):
                participant.consumers.first { $0.ssrc == nack.mediaSSRC }?.retransmit(nack.lostSequenceNumbers)
            default:
                return
            }
        }
    }

    static func sessionID() -> String { String(UInt64.random(in: 1...(UInt64(1) << 62))) }
}
