import ICE
import NIOCore
public import RTP
import SDP

/// One subscriber's view of one producer: its own SSRC, payload type and continuous
/// numbering, sent on the subscriber's media path. Of a simulcast track it forwards one
/// stream at a time, and moves to another at that stream's next key frame.
public final class Consumer {
    public let id: String
    public let mid: String
    public private(set) var producer: Producer
    /// The producer's stream it forwards; `nil` while it waits for a key frame of
    /// `target` to start on.
    public internal(set) var source: ProducerStream?
    /// The stream it moves to at that stream's next key frame, when it is not `source`.
    public internal(set) var target: ProducerStream?
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
    /// Keeps VP8 / VP9 picture numbers running on across dropped frames and moves.
    var pictures = PictureRenumbering()
    /// The highest temporal layer the subscriber's preference and link allow, and the one
    /// it forwards now: lower at once (at the next frame), higher at the next frame that
    /// allows the step (`UInt8.max`: every layer).
    var temporalTarget = UInt8.max
    var temporalLayer = UInt8.max
    /// Of a track whose one stream carries its spatial layers (VP9 SVC): the highest
    /// the subscriber's preference and link allow, and the one it forwards now: lower at
    /// the next picture, higher at the next key picture (`UInt8.max`: every layer).
    var spatialTarget = UInt8.max
    var spatialLayerInStream = UInt8.max
    /// The header extensions the subscriber accepted, with its ids, and what each copy
    /// carries from them (nil: none).
    var negotiatedExtensions: [ExtensionMap] = []
    var extensions: EgressHeaderExtensions?
    public internal(set) var isPaused = false
    public internal(set) var packets: UInt64 = 0
    public internal(set) var octets: UInt64 = 0
    public internal(set) var retransmissions: UInt64 = 0
    /// Of those, the ones resent because transport-wide feedback reported them lost.
    public internal(set) var lossRepairs: UInt64 = 0
    public internal(set) var drops = DropCounters()
    /// Packets of frames above its temporal layer it did not forward.
    public internal(set) var filteredPackets: UInt64 = 0
    /// How often it moved to another stream of a simulcast track.
    public internal(set) var layerSwitches: UInt64 = 0
    /// The highest spatial layer (stream, 0 the lowest) the subscriber wants of a
    /// simulcast track; `nil` for the highest there is.
    public internal(set) var preferredSpatialLayer: Int?
    /// The size the subscriber shows the track at (its video element's, in device
    /// pixels): the consumer takes no stream above the lowest that covers it; `nil` for no
    /// limit.
    public internal(set) var preferredSize: FrameSize?
    /// The highest temporal layer the subscriber wants; `nil` for all of them.
    public internal(set) var preferredTemporalLayer: Int?
    /// The highest step of the subscriber's link has room for (`LayerAllocator`), on the
    /// consumer's ladder: -1 paused, then the lowest layer's temporal layers but the last
    /// (`baseTemporalSteps` of them), then each spatial layer whole; `nil` before the
    /// first allocation.
    var bandwidthLevel: Int?
    /// How many steps below the whole lowest layer its temporal layers give.
    var baseTemporalSteps = 0
    /// Since when the allocation has allowed a step above `bandwidthLevel`.
    var upgradeAllowedSince: ContinuousClock.Instant?
    /// Whether its link has no room for even the lowest step: it forwards nothing until
    /// there is, then starts again at a key frame.
    public internal(set) var isSuspended = false
    /// Since when it has forwarded nothing (suspended, or paused by the subscriber): the
    /// outgoing timestamps skip as long when it starts again.
    var silentSince: ContinuousClock.Instant?
    /// Told when the consumer moved to another stream of a simulcast track or temporal
    /// layer (rare: at a key frame or layer sync frame, after a change of preference or
    /// of what the publisher sends).
    var didChangeLayer: ((Consumer) -> Void)?
    /// How much it resends for NACKs (made at the first NACK; last, away from the fields
    /// every forwarded packet reads).
    var resends: ResendLimiter?

    init(id: String, mid: String, producer: Producer, path: MediaPath, ssrc: SSRC) {
        self.id = id
        self.mid = mid
        self.producer = producer
        self.path = path
        self.ssrc = ssrc
        self.payloadType = producer.codec.payloadType
        self.retransmissionSSRC = producer.kind == "video" ? SSRC.random(in: 1...UInt32.max) : nil
        self.start(on: producer)
    }

    /// Forwards a single-stream track's stream at once; of a simulcast track, waits for a
    /// key frame of the lowest stream, which any link the subscriber is on can carry
    /// before its estimate is known (the layer choice moves it up from there).
    func start(on producer: Producer) {
        if producer.isSimulcast {
            self.source = nil
            self.target = producer.streams.first
        } else {
            self.source = producer.streams.first
            self.target = nil
        }
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

    /// Takes the payload types and header extensions the subscriber's answer settled.
    func accept(_ media: NegotiatedMedia) {
        self.negotiatedExtensions = media.extensions
        self.updateExtensions()
        guard let codec = media.mediaCodecs.first else { return }
        self.payloadType = codec.payloadType
        self.retransmissionPayloadType = media.rtxPayloadType(for: codec.payloadType)
    }

    /// The header extensions a subscriber's section is offered, with the server's ids
    /// (one per URI across the bundle, as RFC 8843 needs): what the server writes itself
    /// (the transport-wide sequence number only with `transportWideCC`), and what
    /// `producer`'s publisher sends that passes through.
    static func offeredExtensions(for producer: Producer, transportWideCC: Bool) -> [ExtensionMap] {
        let sent = Set(producer.headerExtensions.map(\.uri)).intersection(Self.passedThrough)
        return Self.serverExtensionIDs.compactMap { uri, id in
            if uri == RTPHeaderExtensionURI.transportWideCC {
                return transportWideCC ? ExtensionMap(id: id, uri: uri) : nil
            }
            guard Self.written.contains(uri) || sent.contains(uri) else { return nil }
            return ExtensionMap(id: id, uri: uri)
        }
    }

    /// The extensions the server writes into every copy itself.
    static let written: Set<String> = [
        RTPHeaderExtensionURI.mid, RTPHeaderExtensionURI.absSendTime, RTPHeaderExtensionURI.transportWideCC,
    ]

    /// The server's ids in its subscriber offers.
    static let serverExtensionIDs: [(uri: String, id: UInt8)] = [
        (RTPHeaderExtensionURI.mid, 1), (RTPHeaderExtensionURI.absSendTime, 2),
        (RTPHeaderExtensionURI.transportWideCC, 3), (RTPHeaderExtensionURI.audioLevel, 4),
        (RTPHeaderExtensionURI.videoOrientation, 5), (RTPHeaderExtensionURI.playoutDelay, 6),
        (RTPHeaderExtensionURI.videoTiming, 7), (RTPHeaderExtensionURI.colorSpace, 8),
        (RTPHeaderExtensionURI.dependencyDescriptor, 9),
    ]

    /// The publisher's extensions a subscriber gets as they were sent.
    static let passedThrough: Set<String> = [
        RTPHeaderExtensionURI.audioLevel, RTPHeaderExtensionURI.videoOrientation,
        RTPHeaderExtensionURI.playoutDelay, RTPHeaderExtensionURI.videoTiming, RTPHeaderExtensionURI.colorSpace,
        RTPHeaderExtensionURI.dependencyDescriptor,
    ]

    /// What each copy carries: the accepted extensions, the publisher's ids mapped to the
    /// subscriber's.
    func updateExtensions() {
        let ids = Dictionary(self.negotiatedExtensions.map { ($0.uri, $0.id) }, uniquingKeysWith: { first, _ in first })
        let extensions = EgressHeaderExtensions(
            mid: ids[RTPHeaderExtensionURI.mid].map { ($0, Array(self.mid.utf8)) },
            absSendTimeID: ids[RTPHeaderExtensionURI.absSendTime],
            transportWideID: ids[RTPHeaderExtensionURI.transportWideCC]
        )
        for accepted in self.negotiatedExtensions where Self.passedThrough.contains(accepted.uri) {
            if let sent = self.producer.headerExtensions.first(where: { $0.uri == accepted.uri }) {
                extensions.pass(sent.id, as: accepted.id)
            }
        }
        self.extensions = extensions.isEmpty ? nil : extensions
        // The path numbers what it sends from now on, and keeps it for the feedback.
        if extensions.transportWideID != nil, self.path.sendHistory == nil { self.path.sendHistory = SendHistory() }
    }

    /// Sends a packet of `stream` to the subscriber when `stream` is the one it forwards,
    /// or the one it moves to and the packet starts a key frame, and its frame is in a
    /// temporal layer the consumer forwards. `layers` is what its payload descriptor says.
    @inline(__always)
    func forward(_ packet: RTPPacket, from stream: ProducerStream, layers: PacketLayers) {
        if stream !== self.source {
            guard stream === self.target, !self.isPaused, self.path.isConnected, layers.isKeyFrame else {
                return
            }
            self.move(to: stream)
        }
        guard !self.isPaused else {
            self.drops.record(.consumerPaused)
            return
        }
        guard self.path.isConnected else { return }
        // Both `UInt8.max` (every spatial layer, staying) unless it limits or moves.
        if self.spatialTarget & self.spatialLayerInStream != .max {
            guard self.admitsLayerFrame(layers) else { return self.filterLayerFrame(packet) }
        }
        if layers.temporalLayer > self.temporalLayer || layers.temporalLayer > self.temporalTarget {
            guard self.admitsFrame(of: packet, layers) else { return self.filter(packet, layers) }
        }
        guard
            let (sequenceNumber, timestamp) = self.rewriter.rewrite(
                sequenceNumber: packet.sequenceNumber,
                timestamp: packet.timestamp
            )
        else { return }
        let numbered = self.pictures.forward(layers)
        if self.path.sendRTP(
            packet,
            ssrc: self.ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: self.payloadType,
            extensions: self.extensions,
            pictureNumbers: self.pictures.isRenumbering ? numbered : nil,
            endsPicture: self.endsPicture(layers)
        ) {
            self.packets &+= 1
            self.octets &+= UInt64(packet.payloadLength)
        }
    }

    /// Takes packets from another producer of the same kind and codec from now on; the
    /// outgoing stream continues where it was, one frame interval later. Video goes on
    /// from the new track's next key frame (`startsAtKeyFrame`).
    func switchSource(to producer: Producer) {
        self.producer = producer
        self.updateExtensions()
        self.start(on: producer)
        self.waitForKeyFrame()
        if self.source != nil { self.continueStream() }
    }

    /// Takes the stream it forwards again from its next key frame (`forward` moves to it
    /// there), when `startsAtKeyFrame`.
    func waitForKeyFrame() {
        guard self.startsAtKeyFrame, let stream = self.source else { return }
        self.source = nil
        self.target = stream
    }

    /// Whether the consumer's frames after a gap in what it forwarded (a pause, a switch
    /// to another track) wait for a key frame: video whose key frames the server can read.
    /// The subscriber's decoder has none of the frames the ones in between refer to: it
    /// drops them, or, after a switch, decodes them against another track's pictures.
    var startsAtKeyFrame: Bool { self.producer.payloadFormat != .none }

    /// Stops forwarding until `resume()`.
    func pause() {
        guard !self.isPaused else { return }
        self.isPaused = true
        if self.silentSince == nil { self.silentSince = .now }
    }

    /// Forwards again: video from its next key frame, asked for now (and at each check
    /// until it comes, `requestMissingKeyFrame`); the outgoing timestamps skip the pause.
    func resume() {
        guard self.isPaused else { return }
        self.isPaused = false
        guard !self.isSuspended else { return }
        self.waitForKeyFrame()
        if self.source != nil { self.silentSince = nil }
        if self.path.isConnected { self.requestKeyFrame() }
    }

    /// Forwards `stream` from this packet on: the outgoing stream continues where it was
    /// (the rewriter keeps the very first source's own numbers).
    func move(to stream: ProducerStream) {
        self.source = stream
        self.target = nil
        self.layerSwitches &+= 1
        // A key frame starts the stream: every temporal and spatial layer decodes from it.
        self.temporalLayer = self.temporalTarget
        self.spatialLayerInStream = self.spatialTarget
        self.continueStream()
        self.didChangeLayer?(self)
    }

    /// The next packet continues the outgoing stream one frame interval after the last,
    /// or as long after it as the consumer was silent.
    func continueStream() {
        let clockRate = Int(self.producer.codec.clockRate)
        var gap = clockRate / (self.producer.kind == "video" ? 30 : 50)
        if let since = self.silentSince {
            gap = max(gap, Int((ContinuousClock.now - since) / .seconds(1) * Double(clockRate)))
            self.silentSince = nil
        }
        self.rewriter.switchSource(timestampGap: UInt32(truncatingIfNeeded: gap))
        self.pictures.switchSource()
    }

    /// Asks for a key frame of what the subscriber is about to get: the stream it moves
    /// to, else the one it forwards.
    func requestKeyFrame() {
        (self.target ?? self.source)?.requestKeyFrame()
    }

    /// Resends what the subscriber reports lost (in its own numbering) from the
    /// producer's history. Packets no longer kept are skipped, and so are those the
    /// limiter holds back (`ResendLimiter`: resent within the round trip, or over budget);
    /// one NACKed again after its resend was lost goes twice. `now`: the path's send
    /// clock unless given (tests).
    func retransmit(_ lost: [SequenceNumber], now: UInt64? = nil) {
        guard self.source?.history != nil, self.rewriter.offsets != nil else { return }
        if self.resends == nil { self.resends = ResendLimiter() }
        let now = now ?? self.path.sendClock
        let estimate = self.path.resendBasis
        let roundTrip = self.path.roundTripTime
        for output in lost.prefix(64) {
            guard let packet = self.historyPacket(output) else { continue }
            switch self.resends!.verdict(
                output.rawValue,
                size: packet.length,
                now: now,
                estimate: estimate,
                roundTrip: roundTrip
            ) {
            case .resend:
                if self.resend(packet, as: output) { self.retransmissions &+= 1 }
            case .resendTwice:
                for _ in 0..<2 where self.resend(packet, as: output) { self.retransmissions &+= 1 }
            case .resentRecently:
                self.drops.record(.resentRecently)
            case .overBudget:
                self.drops.record(.retransmissionBudget)
            }
        }
    }

    /// Resends a media packet the subscriber's transport-wide feedback reports lost,
    /// unless it was resent after that copy went (for the subscriber's NACK, usually
    /// there first) or the budget is spent. A subscriber whose NACK was lost, or that
    /// lost the resend too, waits a round trip of its own before it asks again: Chromium
    /// receiving only, with no round-trip time, 100 ms, which often made a freeze
    /// (scripts/janus/lossy_network.py); the feedback comes every 50-100 ms whatever
    /// was lost.
    func repairLoss(of lost: SendHistory.Entry) {
        let output = SequenceNumber(lost.mediaSequenceNumber)
        guard let packet = self.historyPacket(output) else { return }
        if self.resends == nil { self.resends = ResendLimiter() }
        switch self.resends!.verdict(
            lostCopyOf: output.rawValue,
            sentAt: lost.sendTime,
            size: packet.length,
            now: self.path.sendClock,
            estimate: self.path.resendBasis
        ) {
        case .resend, .resendTwice:
            if self.resend(packet, as: output) {
                self.retransmissions &+= 1
                self.lossRepairs &+= 1
            }
        case .resentRecently:
            return
        case .overBudget:
            self.drops.record(.retransmissionBudget)
        }
    }

    /// The packet the subscriber knows as `output`, while the history of the stream it
    /// forwards holds it (a packet sent before the last switch is not resent).
    func historyPacket(_ output: SequenceNumber) -> RTPPacket? {
        guard let history = self.source?.history, let input = self.rewriter.input(forOutput: output) else {
            return nil
        }
        return history.packet(input)
    }

    /// Sends `packet`, the subscriber's `output`, again: on the RTX stream when
    /// negotiated, else on the media stream with the number it had; numbered under
    /// `probeCluster` when it is part of a bandwidth probe.
    func resend(_ packet: RTPPacket, as output: SequenceNumber, probeCluster: UInt16 = 0) -> Bool {
        guard let offsets = self.rewriter.offsets else { return false }
        let timestamp = RTPTimestamp(packet.timestamp.rawValue &+ offsets.timestamp)
        var pictureNumbers: PacketLayers?
        let layers = self.producer.payloadFormat.layers(of: packet)
        if self.pictures.isRenumbering {
            // Its picture's numbers as sent; a picture the consumer dropped, or no longer
            // remembers, is not resent.
            guard let numbered = self.pictures.resent(layers) else { return false }
            pictureNumbers = numbered
        }
        let endsPicture = self.endsPicture(layers)
        guard let rtxSSRC = self.retransmissionSSRC, let rtxPayloadType = self.retransmissionPayloadType else {
            return self.path.sendRTP(
                packet,
                ssrc: self.ssrc,
                sequenceNumber: output,
                timestamp: timestamp,
                payloadType: self.payloadType,
                extensions: self.extensions,
                probeCluster: probeCluster,
                pictureNumbers: pictureNumbers,
                endsPicture: endsPicture
            )
        }
        defer { self.retransmissionSequenceNumber &+= 1 }
        return self.path.sendRTP(
            packet,
            ssrc: rtxSSRC,
            sequenceNumber: SequenceNumber(self.retransmissionSequenceNumber),
            timestamp: timestamp,
            payloadType: rtxPayloadType,
            extensions: self.extensions,
            originalSequenceNumber: output,
            probeCluster: probeCluster,
            pictureNumbers: pictureNumbers,
            endsPicture: endsPicture
        )
    }

    /// Whether the consumer can carry bandwidth probes: a video stream with RTX
    /// negotiated, numbered for the subscriber's transport-wide feedback, sending.
    var canProbe: Bool {
        self.retransmissionSSRC != nil && self.retransmissionPayloadType != nil && !self.isPaused
            && self.extensions?.transportWideID != nil && self.rewriter.offsets != nil
    }

    /// Sends the packet `back` packets before the last one sent again on the RTX stream
    /// as part of bandwidth probe `cluster` (the receiver drops it as a repeat, and its
    /// feedback tells how fast it arrived); returns its size on the wire, or 0 when the
    /// history holds none of the last `probeWindow` packets.
    func sendProbe(cluster: UInt16, back: Int) -> Int {
        guard self.canProbe, let last = self.rewriter.lastOutputSequenceNumber else { return 0 }
        // The last `probeWindow` packets sent, newest first, round and round; when the
        // history holds fewer (a stream that just started), round the ones it holds.
        if let sent = self.sendProbe(cluster: cluster, output: last, back: back % Self.probeWindow) { return sent }
        let depth = (0..<Self.probeWindow).first { self.probeCandidate(last, back: $0) == nil } ?? Self.probeWindow
        guard depth > 0 else { return 0 }
        return self.sendProbe(cluster: cluster, output: last, back: back % depth) ?? 0
    }

    private func probeCandidate(_ last: SequenceNumber, back: Int) -> RTPPacket? {
        self.historyPacket(SequenceNumber(last.rawValue &- UInt16(back)))
    }

    private func sendProbe(cluster: UInt16, output last: SequenceNumber, back: Int) -> Int? {
        guard let packet = self.probeCandidate(last, back: back),
            self.resend(packet, as: SequenceNumber(last.rawValue &- UInt16(back)), probeCluster: cluster)
        else { return nil }
        return self.path.egress.readableBytes
    }

    /// How far back a probe reaches for packets to resend.
    static let probeWindow = 64
}
