import RTP
import SDP

/// The per-packet routing of a participant's two connections, the data plane (the room
/// negotiates them): what its publishing path receives goes to its producers and on to
/// their consumers; the feedback its subscribing path receives goes back to the
/// producers its consumers take.
extension Participant {
    /// Routes what `path`, the participant's publishing path, receives.
    func routePublished(from path: MediaPath) {
        path.didReceiveRTP = { [unowned self, unowned path] packet in self.route(packet, from: path) }
        path.didReceiveRTCP = { [unowned self] packet in self.routePublisherReport(packet) }
    }

    /// Routes the feedback `path`, the participant's subscribing path, receives.
    func routeFeedback(from path: MediaPath) {
        path.didReceiveRTCP = { [unowned self, unowned path] packet in self.routeFeedback(packet, from: path) }
        path.prober.sendPacket = { [unowned self] cluster, index in
            self.sendProbePacket(cluster: cluster, index: index)
        }
    }

    /// One packet of bandwidth probe `cluster` on the subscribing path: the video
    /// consumers that can carry probes take turns, each resending its recent packets,
    /// newest first; its size on the wire, or 0 when none can.
    func sendProbePacket(cluster: UInt16, index: Int) -> Int {
        let carriers = self.consumers.filter(\.canProbe)
        guard !carriers.isEmpty else { return 0 }
        return carriers[index % carriers.count].sendProbe(cluster: cluster, back: index / carriers.count)
    }

    /// A publisher's packet to its producer, and on to every consumer of it.
    func route(_ packet: RTPPacket, from path: MediaPath) {
        let producer: Producer
        switch self.source(of: packet) {
        case .producer(let found): producer = found
        case .retransmission(let repaired): return repaired.repair(from: packet)
        case .otherLayer: return path.drops.record(.layerMismatch)
        case .unknown: return path.drops.record(.unknownSSRC)
        }
        producer.forward(packet)
        // A muted track is not metered: it stopped talking when it was muted.
        if producer.meter != nil, !producer.isPaused,
            let level = packet.audioLevel(using: self.extensionMap),
            let change = producer.meter?.record(level)
        {
            self.onEvent?(
                .talking(
                    participantID: self.id,
                    trackID: producer.id,
                    isTalking: change.isTalking,
                    level: change.average
                )
            )
        }
    }

    /// A publisher's sender report: its clock, for the subscribers' reports.
    func routePublisherReport(_ packet: RTCPPacket) {
        guard case .senderReport(let report) = packet, let producer = self.producersBySSRC[report.ssrc] else { return }
        producer.statistics.didReceive(report, at: .now)
    }

    /// A subscriber's feedback on a stream it receives, to the consumer that sends it:
    /// keyframe requests go on to the publisher, NACKs are answered from the history.
    func routeFeedback(_ packet: RTCPPacket, from path: MediaPath) {
        switch packet {
        case .pictureLossIndication(let pli):
            path.counters.pictureLossIndications &+= 1
            self.consumers.first { $0.ssrc == pli.mediaSSRC }?.producer.requestKeyFrame()
        case .fullIntraRequest(let fir):
            path.counters.fullIntraRequests &+= 1
            for entry in fir.entries {
                self.consumers.first { $0.ssrc == entry.ssrc }?.producer.requestKeyFrame()
            }
        case .genericNACK(let nack):
            path.counters.nacksReceived &+= 1
            self.consumers.first { $0.ssrc == nack.mediaSSRC }?.retransmit(nack.lostSequenceNumbers)
        case .transportWideFeedback(let feedback):
            path.receiveTransportFeedback(feedback)
        case .receiverEstimatedMaximumBitrate(let remb):
            path.receiveReceiverEstimate(remb)
        case .receiverReport(let report):
            path.receiveReceiverReport(report, sending: Set(self.consumers.map(\.ssrc)))
        default:
            return
        }
    }

    /// Where a publisher's packet goes.
    enum Source {
        case producer(Producer)
        /// A packet of an RTX stream: retransmission or bandwidth probe.
        case retransmission(Producer)
        /// Another simulcast layer of a track bound to one layer.
        case otherLayer
        case unknown
    }

    /// The producer a packet of `ssrc` belongs to; an unknown SSRC is bound by the MID
    /// header extension the first time it is seen. An RTX stream carries the same MID
    /// with the RTX payload type: it is remembered as such and never bound to the track,
    /// whose sequence numbers it would scramble.
    func source(of packet: RTPPacket) -> Source {
        if let producer = self.producersBySSRC[packet.ssrc] { return .producer(producer) }
        if let producer = self.retransmissionSSRCs[packet.ssrc] { return .retransmission(producer) }
        guard let mid = packet.mid(using: self.extensionMap),
            let producer = self.producers.first(where: { $0.mid == mid })
        else { return .unknown }
        guard packet.payloadType == producer.codec.payloadType else {
            guard producer.retransmissionPayloadType == packet.payloadType else { return .unknown }
            self.retransmissionSSRCs[packet.ssrc] = producer
            return .retransmission(producer)
        }
        // A second media SSRC on a bound track is another simulcast layer (RID): the
        // track keeps the layer it was bound to rather than flapping between them.
        guard producer.ssrc == nil else { return .otherLayer }
        producer.ssrc = packet.ssrc
        self.producersBySSRC[packet.ssrc] = producer
        return .producer(producer)
    }
}
