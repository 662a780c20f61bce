import NIOCore
public import RTP
import SDP

/// One RTP stream of a published track: a simulcast encoding (by `rid` or by its place
/// in `a=ssrc-group:SIM`), or the track's only stream. Each has its own SSRC and RTX
/// stream, loss repair, keyframe requests and receive statistics; a consumer forwards
/// one stream of a track at a time.
public final class ProducerStream {
    /// The track the stream belongs to. Unowned: the producer owns its streams.
    unowned let producer: Producer
    /// The stream's place in the track's quality order: 0 is the lowest resolution.
    public let spatialLayer: Int
    /// The `rid` of a simulcast encoding (RFC 8851), when it was negotiated by rid.
    public let rid: String?
    /// The SSRC its packets carry: from the description, or bound by the first packet.
    public internal(set) var ssrc: SSRC?
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    /// The packet count at the last receiving check, and what that check decided.
    var packetsAtLastCheck: UInt64 = 0
    public internal(set) var isReceiving = false
    /// Bits per second over the last few receiving checks (`Producer.checkReceiving`).
    public internal(set) var bitrate = SlidingBitrate()
    /// Payload bytes per temporal layer (0-3) of its lowest spatial layer (all of it but
    /// for SVC), and how many temporal layers it was seen to send.
    var temporalBytes: [UInt64] = [0, 0, 0, 0]
    public internal(set) var temporalLayerCount = 1
    /// Bits per second up to each temporal layer (the last is the whole stream, or its
    /// lowest spatial layer), sampled with `bitrate` while the stream has temporal layers.
    public internal(set) var temporalBitrates: [SlidingBitrate] = []
    /// Payload bytes per spatial layer inside the stream (VP9 SVC's SID, 0-3), and how
    /// many it was seen to send: 1 for a stream without.
    var spatialBytes: [UInt64] = [0, 0, 0, 0]
    public internal(set) var spatialLayerCount = 1
    /// Bits per second up to each spatial layer inside the stream (what a subscriber
    /// forwarded up to it receives), sampled with `bitrate` while it has several.
    public internal(set) var spatialBitrates: [SlidingBitrate] = []
    /// Each spatial layer's picture size, lowest first, from the last key frame's
    /// scalability structure (VP9 SVC).
    public internal(set) var spatialFrameSizes: [FrameSize] = []
    var statistics = ReceiveStatistics()
    /// Audio is not retransmitted (Opus has FEC, and a late packet is useless).
    var history: PacketHistory?
    /// What the stream skipped, NACKed to the publisher; video only, like `history`.
    var missing: MissingPackets?
    public internal(set) var nacksSent: UInt64 = 0
    /// Missing packets that the publisher's retransmissions (RTX) repaired.
    public internal(set) var repairedPackets: UInt64 = 0
    public internal(set) var keyFrameRequests: UInt64 = 0
    var lastKeyFrameRequest: ContinuousClock.Instant?
    /// The picture size its last key frame stated, when its codec states one.
    public internal(set) var frameSize: FrameSize?
    /// The last template structure its dependency descriptors carried (at key frames).
    var dependencyStructure: FrameDependencyStructure?
    /// Samples the bitrate up to each temporal layer, and up to each spatial layer inside
    /// the stream (the room's receiving check).
    func sampleLayerBitrates(at now: ContinuousClock.Instant) {
        Self.sample(&self.temporalBitrates, cumulating: self.temporalBytes, count: self.temporalLayerCount, at: now)
        Self.sample(&self.spatialBitrates, cumulating: self.spatialBytes, count: self.spatialLayerCount, at: now)
    }

    private static func sample(
        _ bitrates: inout [SlidingBitrate],
        cumulating bytesPerLayer: [UInt64],
        count: Int,
        at now: ContinuousClock.Instant
    ) {
        guard count > 1 else { return }
        while bitrates.count < count { bitrates.append(SlidingBitrate()) }
        var bytes: UInt64 = 0
        for layer in 0..<count {
            bytes &+= bytesPerLayer[layer]
            bitrates[layer].sample(bytes: bytes, at: now)
        }
    }

    /// Notes the picture sizes a key frame states (`VideoPayloadFormat.keyFrameSizes`):
    /// the largest is the stream's, and with several, each spatial layer's inside it.
    func noteKeyFrameSizes(_ sizes: [FrameSize]) {
        guard let largest = sizes.last else { return }
        self.frameSize = largest
        if sizes.count > 1 { self.spatialFrameSizes = sizes }
    }

    /// Where a repaired packet is rebuilt from its RTX packet.
    var repairBuffer = ByteBuffer()

    init(producer: Producer, spatialLayer: Int, rid: String?, ssrc: SSRC?) {
        self.producer = producer
        self.spatialLayer = spatialLayer
        self.rid = rid
        self.ssrc = ssrc
        let isVideo = producer.kind == "video"
        self.history = isVideo ? PacketHistory() : nil
        self.missing = isVideo ? MissingPackets() : nil
    }

    /// Counts one packet of the stream, keeps it for retransmissions and notes what it
    /// skipped; the per-packet bookkeeping before the fan-out.
    @inline(__always)
    func record(_ packet: RTPPacket, temporalLayer: UInt8 = 0, spatialLayer: UInt8 = 0) {
        self.packets &+= 1
        self.bytes &+= UInt64(packet.payloadLength)
        let layer = Int(temporalLayer & 3)
        let spatial = Int(spatialLayer & 3)
        // Of the lowest spatial layer only: the frame-rate steps below it (the whole
        // stream but for SVC, whose higher spatial layers have steps of their own).
        self.temporalBytes[layer] &+= spatial == 0 ? UInt64(packet.payloadLength) : 0
        if layer >= self.temporalLayerCount { self.temporalLayerCount = layer + 1 }
        self.spatialBytes[spatial] &+= UInt64(packet.payloadLength)
        if spatial >= self.spatialLayerCount { self.spatialLayerCount = spatial + 1 }
        let sequenceNumber = self.statistics.record(packet.sequenceNumber)
        if self.missing != nil { self.noteArrival(sequenceNumber) }
        self.history?.store(packet)
    }

    /// Keeps track of what the stream skipped, and asks the publisher for what is missing:
    /// at once for a new gap, then for what is due a retry. Walks nothing while nothing is
    /// missing.
    @inline(__always)
    func noteArrival(_ sequenceNumber: Int64) {
        switch self.missing?.record(sequenceNumber, now: .now) {
        case .gap?:
            self.requestRetransmissions(now: .now)
            self.producer.path.awaitRepair(of: self)
        case .tooManyLost?:
            self.requestKeyFrame()
        case .repaired?, .expected?, nil:
            if self.missing?.isEmpty == false { _ = self.retryMissing(now: .now) }
        }
    }

    /// The retries due at `now` (from the repair timer, or a packet's arrival): NACKs for
    /// what is due; whether packets are still missing.
    func retryMissing(now: ContinuousClock.Instant) -> Bool {
        guard self.missing?.isEmpty == false else { return false }
        if self.missing?.mayRequest(at: now) == true { self.requestRetransmissions(now: now) }
        return self.missing?.isEmpty == false
    }

    /// Sends one NACK for every missing packet that is due a request (loss is rare, and
    /// this path may allocate); none while the publisher is over its bitrate limit, whose
    /// drops make the gaps.
    func requestRetransmissions(now: ContinuousClock.Instant) {
        let path = self.producer.path
        guard path.ingressLimit?.isRefusing(at: path.arrival) != true else { return }
        guard let ssrc = self.ssrc, let due = self.missing?.due(at: now), !due.isEmpty else { return }
        self.nacksSent &+= 1
        path.sendRTCP([
            .genericNACK(GenericNACK(senderSSRC: Room.reportingSSRC, mediaSSRC: ssrc, lostSequenceNumbers: due))
        ])
    }

    /// The packet an RTX packet of this stream carries, when it repairs a packet the SFU
    /// is missing; `nil` for anything else on the RTX stream (bandwidth probes,
    /// duplicates, retransmissions a subscriber asked the publisher for directly), which
    /// the caller counts.
    func repair(from rtx: RTPPacket) -> RTPPacket? {
        guard let ssrc = self.ssrc, let original = rtx.originalSequenceNumber,
            self.missing?.isMissing(original) == true
        else { return nil }
        self.repairBuffer.clear()
        guard rtx.writeOriginal(into: &self.repairBuffer, ssrc: ssrc, payloadType: self.producer.codec.payloadType) > 0,
            let packet = try? RTPPacket(validating: self.repairBuffer)
        else { return nil }
        self.repairedPackets &+= 1
        return packet
    }

    /// Asks the publisher for a keyframe of this stream (PLI), unless one was asked for
    /// within the producer's throttle interval. Audio has no keyframes.
    func requestKeyFrame(now: ContinuousClock.Instant = .now) {
        guard self.producer.kind == "video", let ssrc = self.ssrc else { return }
        if let last = self.lastKeyFrameRequest, now - last < self.producer.keyFrameRequestInterval { return }
        self.lastKeyFrameRequest = now
        self.keyFrameRequests &+= 1
        let request = PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: ssrc)
        self.producer.path.sendRTCP([.pictureLossIndication(request)])
    }

    /// Whether the publisher is sending the stream: it received packets in the last
    /// receiving check's second, or since.
    public var isActive: Bool { self.isReceiving || self.packets != self.packetsAtLastCheck }
}
