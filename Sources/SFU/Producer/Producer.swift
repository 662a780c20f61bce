import NIOCore
public import RTP
public import SDP

/// One published track: the packets of one MID from one publisher, in one stream or in
/// several (simulcast), and the consumers they are forwarded to. Lives on the room's
/// worker.
public final class Producer {
    public let id: String
    public let participantID: String
    public let mid: String
    /// "audio" or "video".
    public let kind: String
    /// The negotiated codec, with the publisher's payload type.
    public let codec: CodecDescription
    /// How a key frame's first packet is told, for this codec.
    let payloadFormat: VideoPayloadFormat
    /// The publisher's id of the dependency descriptor extension, which tells the
    /// temporal layers when it is negotiated (Chromium's VP8 then leaves them out of the
    /// payload descriptor).
    let dependencyDescriptorID: UInt8?
    /// The track's streams, lowest quality first: one, or one per simulcast encoding.
    public private(set) var streams: [ProducerStream] = []
    /// The header extensions the publisher negotiated for this track, with its ids.
    let headerExtensions: [ExtensionMap]
    /// The payload type of the publisher's RTX stream for this track, when negotiated.
    let retransmissionPayloadType: UInt8?
    /// The publisher's media path: where NACKs and keyframe requests go.
    let path: MediaPath
    var consumers: [Consumer] = []
    public internal(set) var isPaused = false
    /// Whether any of its streams received media at the last receiving check.
    public internal(set) var isReceiving = false
    /// Talking detection, on audio producers of rooms that raise talking events.
    var meter: AudioLevelMeter?
    /// Set while the track is recorded.
    var recordingTap: RecordingTap?
    /// At most one keyframe request per this interval reaches the publisher, per stream.
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
        self.payloadFormat = media.kind == "video" ? VideoPayloadFormat(codecName: codec.name) : .none
        self.headerExtensions = media.extensions
        self.dependencyDescriptorID =
            media.kind == "video"
            ? media.extensions.first { $0.uri == RTPHeaderExtensionURI.dependencyDescriptor }?.id : nil
        self.retransmissionPayloadType = media.rtxPayloadType(for: codec.payloadType)
        self.path = path
        self.keyFrameRequestInterval = keyFrameRequestInterval
        if !media.remoteRIDs.isEmpty {
            self.streams = Self.lowestFirst(media.remoteRIDs).enumerated().map { layer, rid in
                ProducerStream(producer: self, spatialLayer: layer, rid: rid, ssrc: nil)
            }
        } else if !media.remoteSimulcastSSRCs.isEmpty {
            self.streams = media.remoteSimulcastSSRCs.enumerated().map { layer, ssrc in
                ProducerStream(producer: self, spatialLayer: layer, rid: nil, ssrc: ssrc)
            }
        } else {
            self.streams = [
                ProducerStream(producer: self, spatialLayer: 0, rid: nil, ssrc: media.remoteSSRCs.first)
            ]
        }
    }

    /// Simulcast rids ordered lowest quality first. Known names tell the order (`q`, `h`,
    /// `f`: quarter, half, full; `l`, `m`, `h`: low, medium, high); otherwise the
    /// description lists the highest first, as janus.js does and Janus assumes.
    static func lowestFirst(_ rids: [String]) -> [String] {
        for names in [["q", "h", "f"], ["l", "m", "h"]] where Set(rids).isSubset(of: names) {
            // "h" alone is either's: only a set with another name of the scheme decides.
            guard rids.contains(where: { $0 != "h" }) else { break }
            return rids.sorted { names.firstIndex(of: $0)! < names.firstIndex(of: $1)! }  // subset: found
        }
        return rids.reversed()
    }

    /// Whether the track is sent in more than one stream.
    public var isSimulcast: Bool { self.streams.count > 1 }

    /// Whether the track's one stream carries several spatial layers (VP9 SVC).
    public var isSVC: Bool { self.streams.count == 1 && self.streams[0].spatialLayerCount > 1 }

    /// Whether a subscriber can be given fewer spatial layers than are sent: simulcast
    /// streams, or SVC's layers inside one stream.
    public var hasSpatialLayers: Bool { self.isSimulcast || self.isSVC }

    /// Whether a subscriber's link can be given less of the track than is sent: spatial
    /// layers, or temporal layers of its one stream (a lower frame rate).
    public var isLayered: Bool {
        self.hasSpatialLayers || (self.streams.count == 1 && self.streams[0].temporalLayerCount > 1)
    }

    /// What a subscriber receives up to each spatial layer, bit/s, lowest first: each
    /// simulcast stream's own rate (`nil`: not sent now), or SVC's layers summed.
    var spatialLayerBitrates: [Int?] {
        guard self.isSVC, let stream = self.streams.first else {
            return self.streams.map { $0.isActive ? $0.bitrate.bitsPerSecond : nil }
        }
        return stream.spatialBitrates.map { stream.isActive ? $0.bitsPerSecond : nil }
    }

    /// Each spatial layer's picture size, lowest first, where its key frames state one.
    var spatialLayerSizes: [FrameSize?] {
        guard self.isSVC, let stream = self.streams.first else { return self.streams.map(\.frameSize) }
        return stream.spatialFrameSizes
    }

    /// The stream a packet with `rid` belongs to, by the rid its first packets carry.
    func stream(rid: String) -> ProducerStream? {
        self.streams.first { $0.rid == rid }
    }

    /// What the signaling faces say of this track.
    public var info: TrackInfo {
        TrackInfo(
            id: self.id,
            participantID: self.participantID,
            kind: self.kind,
            codec: self.codec.name.lowercased(),
            mid: self.mid,
            isMuted: self.isPaused,
            simulcastStreams: self.isSimulcast ? self.streams.count : nil
        )
    }

    /// Every consumer of this track, in subscription order.
    public var consumerCount: Int { self.consumers.count }

    /// Packets and payload bytes received, over every stream.
    public var packets: UInt64 { self.streams.reduce(0) { $0 &+ $1.packets } }
    public var bytes: UInt64 { self.streams.reduce(0) { $0 &+ $1.bytes } }
    public var keyFrameRequests: UInt64 { self.streams.reduce(0) { $0 &+ $1.keyFrameRequests } }
    public var nacksSent: UInt64 { self.streams.reduce(0) { $0 &+ $1.nacksSent } }
    public var repairedPackets: UInt64 { self.streams.reduce(0) { $0 &+ $1.repairedPackets } }
    var abandonedPackets: UInt64 { self.streams.reduce(0) { $0 &+ ($1.missing?.abandoned ?? 0) } }

    /// Forwards one packet of `stream` to every consumer: the per-packet fan-out. Each
    /// consumer takes the packets of the stream it forwards.
    @inline(__always)
    func forward(_ packet: RTPPacket, from stream: ProducerStream) {
        var layers = self.payloadFormat.layers(of: packet)
        if let id = self.dependencyDescriptorID {
            packet.readDependencyDescriptor(id: id, structure: &stream.dependencyStructure, into: &layers)
        }
        stream.record(packet, temporalLayer: layers.temporalLayer, spatialLayer: layers.spatialLayer)
        if layers.isKeyFrame { self.noteKeyFrameSizes(of: packet, in: stream) }
        if let tap = self.recordingTap { tap.record(packet, of: stream, isKeyFrame: layers.isKeyFrame) }
        guard !self.isPaused else { return }
        for consumer in self.consumers {
            consumer.forward(packet, from: stream, layers: layers)
        }
    }

    /// The picture sizes a key frame's first packet states, or else its stream's
    /// dependency structure (AV1's key frames state theirs in the sequence header, which
    /// the server does not read).
    func noteKeyFrameSizes(of packet: RTPPacket, in stream: ProducerStream) {
        let sizes = self.payloadFormat.keyFrameSizes(of: packet)
        stream.noteKeyFrameSizes(sizes.isEmpty ? stream.dependencyStructure?.resolutions ?? [] : sizes)
    }

    /// Forwards the packet an RTX packet of `stream` carries, when it repairs a packet the
    /// SFU is missing; anything else on the RTX stream is dropped, counted.
    func repair(from rtx: RTPPacket, of stream: ProducerStream) {
        guard let packet = stream.repair(from: rtx) else { return self.path.drops.record(.retransmissionStream) }
        self.forward(packet, from: stream)
    }

    /// Asks the publisher for a keyframe of every stream (each throttled on its own).
    func requestKeyFrame(now: ContinuousClock.Instant = .now) {
        for stream in self.streams { stream.requestKeyFrame(now: now) }
    }

    /// Samples every stream's bitrate and tells whether the track's receiving changed
    /// since the last check (once a second).
    func checkReceiving(now: ContinuousClock.Instant) -> Bool? {
        var receiving = false
        for stream in self.streams {
            stream.isReceiving = stream.packets != stream.packetsAtLastCheck
            stream.packetsAtLastCheck = stream.packets
            stream.bitrate.sample(bytes: stream.bytes, at: now)
            stream.sampleLayerBitrates(at: now)
            receiving = receiving || stream.isReceiving
        }
        guard receiving != self.isReceiving else { return nil }
        self.isReceiving = receiving
        return receiving
    }
}
