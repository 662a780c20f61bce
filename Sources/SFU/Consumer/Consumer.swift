public import RTP
import SDP

/// One subscriber's view of one producer: its own SSRC, payload type and continuous
/// numbering, sent on the subscriber's transport (simple forwarding).
public final class Consumer {
    public let id: String
    public let mid: String
    public let producer: Producer
    unowned let transport: WebRTCTransport
    public let ssrc: SSRC
    public internal(set) var payloadType: UInt8
    var rewriter = RTPStreamRewriter()
    public internal(set) var isPaused = false
    public internal(set) var packets: UInt64 = 0
    public internal(set) var octets: UInt64 = 0
    public internal(set) var retransmissions: UInt64 = 0
    public internal(set) var drops = DropCounters()

    init(id: String, mid: String, producer: Producer, transport: WebRTCTransport, ssrc: SSRC) {
        self.id = id
        self.mid = mid
        self.producer = producer
        self.transport = transport
        self.ssrc = ssrc
        self.payloadType = producer.codec.payloadType
    }

    @inline(__always)
    func forward(_ packet: RTPPacket) {
        guard !self.isPaused else {
            self.drops.record(.consumerPaused)
            return
        }
        guard self.transport.state == .connected else { return }
        guard
            let (sequenceNumber, timestamp) = self.rewriter.rewrite(
                sequenceNumber: packet.sequenceNumber,
                timestamp: packet.timestamp
            )
        else { return }
        if self.transport.sendRTP(
            packet,
            ssrc: self.ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: self.payloadType
        ) {
            self.packets &+= 1
            self.octets &+= UInt64(packet.payloadLength)
        }
    }

    /// Resends what the subscriber reports lost (in its own numbering) from the
    /// producer's history, with the numbers it had; packets no longer kept are skipped.
    func retransmit(_ lost: [SequenceNumber]) {
        guard let history = self.producer.history, let offsets = self.rewriter.offsets else { return }
        for output in lost.prefix(64) {
            guard let packet = history.packet(SequenceNumber(output.rawValue &- offsets.sequenceNumber)) else {
                continue
            }
            if self.transport.sendRTP(
                packet,
                ssrc: self.ssrc,
                sequenceNumber: output,
                timestamp: RTPTimestamp(packet.timestamp.rawValue &+ offsets.timestamp),
                payloadType: self.payloadType
            ) {
                self.retransmissions &+= 1
            }
        }
    }
}
