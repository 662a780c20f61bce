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
    /// The payload type of the publisher's RTX stream for this track, when negotiated.
    let retransmissionPayloadType: UInt8?
    unowned let transport: WebRTCTransport
    var consumers: [Consumer] = []
    public internal(set) var isPaused = false
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    public internal(set) var keyFrameRequests: UInt64 = 0
    var lastKeyFrameRequest: ContinuousClock.Instant?
    var statistics = ReceiveStatistics()
    /// Talking detection, on audio producers of rooms that raise talking events.
    var meter: AudioLevelMeter?
    /// Audio is not retransmitted (Opus has FEC, and a late packet is useless).
    var history: PacketHistory?
    /// At most one keyframe request per this interval reaches the publisher.
    let keyFrameRequestInterval: Duration

    init(
        id: String,
        participantID: String,
        media: NegotiatedMedia,
        codec: CodecDescription,
        transport: WebRTCTransport,
        keyFrameRequestInterval: Duration
    ) {
        self.id = id
        self.participantID = participantID
        self.mid = media.mid
        self.kind = media.kind
        self.codec = codec
        self.ssrc = media.remoteSSRCs.first
        self.retransmissionPayloadType = media.rtxPayloadType(for: codec.payloadType)
        self.transport = transport
        self.keyFrameRequestInterval = keyFrameRequestInterval
        self.history = media.kind == "video" ? PacketHistory() : nil
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
        self.statistics.record(packet.sequenceNumber)
        self.history?.store(packet)
        guard !self.isPaused else { return }
        for consumer in self.consumers {
            consumer.forward(packet)
        }
    }

    /// Asks the publisher for a keyframe (PLI), unless one was asked for within the
    /// throttle interval. Audio has no keyframes.
    func requestKeyFrame(now: ContinuousClock.Instant = .now) {
        guard self.kind == "video", let ssrc = self.ssrc else { return }
        if let last = self.lastKeyFrameRequest, now - last < self.keyFrameRequestInterval { return }
        self.lastKeyFrameRequest = now
        self.keyFrameRequests &+= 1
        self.transport.sendRTCP([.pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: ssrc))])
    }
}
