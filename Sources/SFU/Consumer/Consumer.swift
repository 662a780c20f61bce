public import RTP
import SDP

/// One subscriber's view of one producer: its own SSRC, payload type and continuous
/// numbering, sent on the subscriber's media path (simple forwarding).
public final class Consumer {
    public let id: String
    public let mid: String
    public private(set) var producer: Producer
    /// The subscriber's media path. Strong, not `unowned`: the path never refers back to
    /// its consumers, and a strong reference is read without the unowned-reference checks
    /// (docs/decisions.md, "A consumer holds its transport strongly").
    let path: MediaPath
    public let ssrc: SSRC
    public internal(set) var payloadType: UInt8
    /// The RTX stream (RFC 4588) offered for retransmissions: video only.
    let retransmissionSSRC: SSRC?
    /// The RTX payload type, once the subscriber's answer accepted it; without it,
    /// retransmissions go on the media stream itself.
    var retransmissionPayloadType: UInt8?
    var retransmissionSequenceNumber = UInt16.random(in: 0...UInt16.max)
    var rewriter = RTPStreamRewriter()
    public internal(set) var isPaused = false
    public internal(set) var packets: UInt64 = 0
    public internal(set) var octets: UInt64 = 0
    public internal(set) var retransmissions: UInt64 = 0
    public internal(set) var drops = DropCounters()

    init(id: String, mid: String, producer: Producer, path: MediaPath, ssrc: SSRC) {
        self.id = id
        self.mid = mid
        self.producer = producer
        self.path = path
        self.ssrc = ssrc
        self.payloadType = producer.codec.payloadType
        self.retransmissionSSRC = producer.history == nil ? nil : SSRC.random(in: 1...UInt32.max)
    }

    /// The codecs to offer: the producer's, and RTX for it when the track is repaired.
    var offeredCodecs: [CodecDescription] {
        let codec = self.producer.codec
        guard self.retransmissionSSRC != nil else { return [codec] }
        let rtx =
            self.producer.retransmissionPayloadType
            ?? (96...127).first { $0 != codec.payloadType }!  // 32 candidates, one taken
        return [
            codec,
            CodecDescription(
                payloadType: rtx,
                name: "rtx",
                clockRate: codec.clockRate,
                parameters: "apt=\(codec.payloadType)"
            ),
        ]
    }

    /// Takes the payload types the subscriber's answer settled.
    func accept(_ media: NegotiatedMedia) {
        guard let codec = media.mediaCodecs.first else { return }
        self.payloadType = codec.payloadType
        self.retransmissionPayloadType = media.rtxPayloadType(for: codec.payloadType)
    }

    @inline(__always)
    func forward(_ packet: RTPPacket) {
        guard !self.isPaused else {
            self.drops.record(.consumerPaused)
            return
        }
        guard self.path.isConnected else { return }
        guard
            let (sequenceNumber, timestamp) = self.rewriter.rewrite(
                sequenceNumber: packet.sequenceNumber,
                timestamp: packet.timestamp
            )
        else { return }
        if self.path.sendRTP(
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

    /// Takes packets from another producer of the same kind and codec from now on; the
    /// outgoing stream continues where it was, one frame interval later.
    func switchSource(to producer: Producer) {
        self.producer = producer
        let frameInterval = producer.codec.clockRate / (producer.kind == "video" ? 30 : 50)
        self.rewriter.switchSource(timestampGap: UInt32(frameInterval))
    }

    /// Resends what the subscriber reports lost (in its own numbering) from the
    /// producer's history: on the RTX stream when negotiated, else on the media stream
    /// with the numbers it had. Packets no longer kept are skipped.
    func retransmit(_ lost: [SequenceNumber]) {
        guard let history = self.producer.history, let offsets = self.rewriter.offsets else { return }
        for output in lost.prefix(64) {
            guard let packet = history.packet(SequenceNumber(output.rawValue &- offsets.sequenceNumber)) else {
                continue
            }
            let timestamp = RTPTimestamp(packet.timestamp.rawValue &+ offsets.timestamp)
            let sent: Bool
            if let rtxSSRC = self.retransmissionSSRC, let rtxPayloadType = self.retransmissionPayloadType {
                sent = self.path.sendRetransmission(
                    packet,
                    ssrc: rtxSSRC,
                    sequenceNumber: SequenceNumber(self.retransmissionSequenceNumber),
                    timestamp: timestamp,
                    payloadType: rtxPayloadType,
                    originalSequenceNumber: output
                )
                self.retransmissionSequenceNumber &+= 1
            } else {
                sent = self.path.sendRTP(
                    packet,
                    ssrc: self.ssrc,
                    sequenceNumber: output,
                    timestamp: timestamp,
                    payloadType: self.payloadType
                )
            }
            if sent { self.retransmissions &+= 1 }
        }
    }
}
