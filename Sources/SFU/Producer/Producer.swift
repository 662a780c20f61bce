import NIOCore
public import RTP
public import SDP

/// One published track: the packets of one MID / SSRC from one publisher, and the
/// consumers they are forwarded to. Lives on the room's worker.
public final class Producer {
    public let id: String
    public let participantID: String
    public let mid: String
    /// "audio" or "video".
    public let kind: String
    /// The negotiated codec, with the publisher's payload type.
    public let codec: CodecDescription
    public internal(set) var ssrc: SSRC?
    /// The header extensions the publisher negotiated for this track, with its ids.
    let headerExtensions: [ExtensionMap]
    /// The payload type of the publisher's RTX stream for this track, when negotiated.
    let retransmissionPayloadType: UInt8?
    /// The publisher's media path: where NACKs and keyframe requests go.
    let path: MediaPath
    var consumers: [Consumer] = []
    public internal(set) var isPaused = false
    public internal(set) var packets: UInt64 = 0
    /// The packet count at the last receiving check, and what that check decided.
    var packetsAtLastCheck: UInt64 = 0
    public internal(set) var isReceiving = false
    public internal(set) var bytes: UInt64 = 0
    public internal(set) var keyFrameRequests: UInt64 = 0
    var lastKeyFrameRequest: ContinuousClock.Instant?
    var statistics = ReceiveStatistics()
    /// Talking detection, on audio producers of rooms that raise talking events.
    var meter: AudioLevelMeter?
    /// Audio is not retransmitted (Opus has FEC, and a late packet is useless).
    var history: PacketHistory?
    /// What the stream skipped, NACKed to the publisher; video only, like `history`.
    var missing: MissingPackets?
    public internal(set) var nacksSent: UInt64 = 0
    /// Missing packets that the publisher's retransmissions (RTX) repaired.
    public internal(set) var repairedPackets: UInt64 = 0
    /// Where a repaired packet is rebuilt from its RTX packet.
    var repairBuffer = ByteBuffer()
    /// At most one keyframe request per this interval reaches the publisher.
    let keyFrameRequestInterval: Duration

    init(
        id: String,
        participantID: String,
        media: NegotiatedMedia,
        codec: CodecDescription,
        path: MediaPath,
        keyFrameRequestInterval: Duration
    ) {
        self.id = id
        self.participantID = participantID
        self.mid = media.mid
        self.kind = media.kind
        self.codec = codec
        self.ssrc = media.remoteSSRCs.first
        self.headerExtensions = media.extensions
        self.retransmissionPayloadType = media.rtxPayloadType(for: codec.payloadType)
        self.path = path
        self.keyFrameRequestInterval = keyFrameRequestInterval
        self.history = media.kind == "video" ? PacketHistory() : nil
        self.missing = media.kind == "video" ? MissingPackets() : nil
    }

    /// What the signaling faces say of this track.
    public var info: TrackInfo {
        TrackInfo(
            id: self.id,
            participantID: self.participantID,
            kind: self.kind,
            codec: self.codec.name.lowercased(),
            mid: self.mid,
            isMuted: self.isPaused
        )
    }

    /// Every consumer of this track, in subscription order.
    public var consumerCount: Int { self.consumers.count }

    /// Forwards one packet to every consumer: the per-packet fan-out.
    func forward(_ packet: RTPPacket) {
        self.packets &+= 1
        self.bytes &+= UInt64(packet.payloadLength)
        let sequenceNumber = self.statistics.record(packet.sequenceNumber)
        if self.missing != nil { self.noteArrival(sequenceNumber) }
        self.history?.store(packet)
        guard !self.isPaused else { return }
        for consumer in self.consumers {
            consumer.forward(packet)
        }
    }

    /// Keeps track of what the stream skipped, and asks the publisher for what is missing:
    /// at once for a new gap, then for what is due a retry. Walks nothing while nothing is
    /// missing.
    @inline(__always)
    func noteArrival(_ sequenceNumber: Int64) {
        switch self.missing?.record(sequenceNumber, now: .now) {
        case .gap?:
            self.requestRetransmissions(now: .now)
        case .tooManyLost?:
            self.requestKeyFrame()
        case .repaired?, .expected?, nil:
            if self.missing?.isEmpty == false {
                let now = ContinuousClock.now
                if self.missing?.mayRequest(at: now) == true { self.requestRetransmissions(now: now) }
            }
        }
    }

    /// Sends one NACK for every missing packet that is due a request (loss is rare, and
    /// this path may allocate).
    func requestRetransmissions(now: ContinuousClock.Instant) {
        guard let ssrc = self.ssrc, let due = self.missing?.due(at: now), !due.isEmpty else { return }
        self.nacksSent &+= 1
        self.path.sendRTCP([
            .genericNACK(GenericNACK(senderSSRC: Room.reportingSSRC, mediaSSRC: ssrc, lostSequenceNumbers: due))
        ])
    }

    /// Forwards the packet an RTX packet of this track carries, when it repairs a packet
    /// the SFU is missing; anything else on the RTX stream (bandwidth probes, duplicates,
    /// retransmissions a subscriber asked the publisher for directly) is dropped, counted.
    func repair(from rtx: RTPPacket) {
        guard let ssrc = self.ssrc, let original = rtx.originalSequenceNumber,
            self.missing?.isMissing(original) == true
        else { return self.path.drops.record(.retransmissionStream) }
        self.repairBuffer.clear()
        guard rtx.writeOriginal(into: &self.repairBuffer, ssrc: ssrc, payloadType: self.codec.payloadType) > 0,
            let packet = try? RTPPacket(validating: self.repairBuffer)
        else { return self.path.drops.record(.retransmissionStream) }
        self.repairedPackets &+= 1
        self.forward(packet)
    }

    /// Asks the publisher for a keyframe (PLI), unless one was asked for within the
    /// throttle interval. Audio has no keyframes.
    func requestKeyFrame(now: ContinuousClock.Instant = .now) {
        guard self.kind == "video", let ssrc = self.ssrc else { return }
        if let last = self.lastKeyFrameRequest, now - last < self.keyFrameRequestInterval { return }
        self.lastKeyFrameRequest = now
        self.keyFrameRequests &+= 1
        let request = PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: ssrc)
        self.path.sendRTCP([.pictureLossIndication(request)])
    }
}
