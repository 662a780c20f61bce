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

    /// A publisher's packet to its producer's stream, and on to every consumer of it.
    func route(_ packet: RTPPacket, from path: MediaPath) {
        let stream: ProducerStream
        switch self.source(of: packet) {
        case .stream(let found): stream = found
        case .retransmission(let repaired): return repaired.producer.repair(from: packet, of: repaired)
        case .unknown: return path.drops.record(.unknownSSRC)
        }
        let producer = stream.producer
        producer.forward(packet, from: stream)
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
        guard case .senderReport(let report) = packet, let stream = self.streamsBySSRC[report.ssrc] else { return }
        stream.statistics.didReceive(report, at: .now)
        stream.producer.recordingTap?.record(report, of: stream)
    }

    /// A subscriber's feedback on a stream it receives, to the consumer that sends it:
    /// keyframe requests go on to the publisher, NACKs are answered from the history, and
    /// so are the media packets transport-wide feedback reports lost.
    func routeFeedback(_ packet: RTCPPacket, from path: MediaPath) {
        switch packet {
        case .pictureLossIndication(let pli):
            path.counters.pictureLossIndications &+= 1
            self.consumers.first { $0.ssrc == pli.mediaSSRC }?.requestKeyFrame()
        case .fullIntraRequest(let fir):
            path.counters.fullIntraRequests &+= 1
            for entry in fir.entries {
                self.consumers.first { $0.ssrc == entry.ssrc }?.requestKeyFrame()
            }
        case .genericNACK(let nack):
            path.counters.nacksReceived &+= 1
            self.consumers.first { $0.ssrc == nack.mediaSSRC }?.retransmit(nack.lostSequenceNumbers)
        case .transportWideFeedback(let feedback):
            for lost in path.receiveTransportFeedback(feedback) {
                self.consumers.first { $0.ssrc == lost.ssrc || $0.retransmissionSSRC == lost.ssrc }?
                    .repairLoss(of: lost)
            }
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
        case stream(ProducerStream)
        /// A packet of an RTX stream: retransmission or bandwidth probe.
        case retransmission(ProducerStream)
        case unknown
    }

    /// The stream a packet of `ssrc` belongs to. An unknown SSRC is bound the first time
    /// it is seen: to its track by the MID header extension, and within a simulcast track
    /// by the `rid` (or, on its RTX stream, the `repaired-rid`) its first packets carry.
    /// An RTX stream carries the same MID with the RTX payload type: it is remembered as
    /// such and never bound as media, whose sequence numbers it would scramble.
    func source(of packet: RTPPacket) -> Source {
        if let stream = self.streamsBySSRC[packet.ssrc] { return .stream(stream) }
        if let stream = self.retransmissionSSRCs[packet.ssrc] { return .retransmission(stream) }
        guard let mid = packet.mid(using: self.extensionMap),
            let producer = self.producers.first(where: { $0.mid == mid })
        else { return .unknown }
        if packet.payloadType == producer.codec.payloadType {
            guard let stream = self.unboundStream(of: producer, rid: packet.rtpStreamID(using: self.extensionMap))
            else { return .unknown }
            stream.ssrc = packet.ssrc
            self.streamsBySSRC[packet.ssrc] = stream
            return .stream(stream)
        }
        guard producer.retransmissionPayloadType == packet.payloadType,
            let stream = self.repairedStream(of: producer, rid: packet.repairedRTPStreamID(using: self.extensionMap))
        else { return .unknown }
        self.retransmissionSSRCs[packet.ssrc] = stream
        return .retransmission(stream)
    }

    /// The stream a new media SSRC of `producer` binds to: the one `rid` names, or the
    /// track's only stream while it has no SSRC. A stream keeps its first SSRC, so a
    /// second SSRC of a bound stream is not taken (rather than flapping between them).
    func unboundStream(of producer: Producer, rid: String?) -> ProducerStream? {
        let stream = rid.flatMap(producer.stream(rid:)) ?? (producer.isSimulcast ? nil : producer.streams.first)
        guard let stream, stream.ssrc == nil else { return nil }
        return stream
    }

    /// The stream a new RTX SSRC of `producer` repairs: the one `repairedRID` names, or
    /// the track's only stream.
    func repairedStream(of producer: Producer, rid repairedRID: String?) -> ProducerStream? {
        repairedRID.flatMap(producer.stream(rid:)) ?? (producer.isSimulcast ? nil : producer.streams.first)
    }
}
