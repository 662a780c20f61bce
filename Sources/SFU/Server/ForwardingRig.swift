import DTLS
@_spi(Benchmarks) import ICE
import RTP
import SDP

/// The per-packet path of a room without its connections, for the forwarding benchmark:
/// one publishing media path and one producer, fanned out to N consumers, each on its own
/// subscribing media path, with fixed SRTP keys and optionally a real UDP socket. No ICE
/// agent, no DTLS, no worker thread: a datagram handed to `receive` takes exactly the path
/// a publisher's SRTP packet takes once its transport is connected.
@_spi(Benchmarks) public final class ForwardingRig {
    public let publisher: MediaPath
    public let producer: Producer
    private var subscribers: [MediaPath] = []
    private let bursts = BurstQueue()
    static let profile: SRTPProfile = .aeadAES128GCM
    /// The header-extension id of the transport-wide sequence number.
    public static let transportWideSequenceID: UInt8 = 3
    /// What the sending client protects with: the publisher's inbound key.
    public let publisherKey: [UInt8]

    /// With `sink`, each consumer's path sends through `descriptor` to
    /// `127.0.0.1:port`; without, it sends on descriptor -1, a system call the kernel
    /// refuses at once (counted as `sendFailed`): the path without the network stack. With
    /// `transportFeedback`, the publisher's path records the transport-wide sequence
    /// number under `transportWideSequenceID` and sends feedback, as for a browser; with
    /// `subscriberExtensions`, every consumer's copy carries what a browser subscriber
    /// negotiates (mid, abs-send-time, a transport-wide sequence number kept in the send
    /// history). With `simulcastLayers` above 1, the track is simulcast, one stream per
    /// layer on SSRCs `publisherSSRC`, `publisherSSRC + 1`, …, and consumer `i` forwards
    /// layer `i % simulcastLayers`. With `temporalLayers`, consumer `i` forwards temporal
    /// layers up to `i % 3`. With `maximumPublisherBitrate`, the publisher's path enforces
    /// it, as a server's do.
    public init(
        consumers: Int,
        sink: (descriptor: Int32, port: UInt16)?,
        transportFeedback: Bool = false,
        subscriberExtensions: Bool = false,
        simulcastLayers: Int = 1,
        temporalLayers: Bool = false,
        maximumPublisherBitrate: Int? = nil
    ) throws {
        let profile = Self.profile
        self.publisherKey = Self.key(0, profile: profile)
        self.publisher = MediaPath(id: "publisher", bursts: self.bursts)
        try self.publisher.start(
            profile: profile,
            localKeyAndSalt: Self.key(1, profile: profile),
            remoteKeyAndSalt: self.publisherKey
        )
        let codec = CodecDescription(payloadType: 96, name: "VP8", clockRate: 90_000)
        let ssrcs = (0..<max(1, simulcastLayers)).map { Self.publisherSSRC &+ SSRC($0) }
        var media = NegotiatedMedia(
            mid: "0",
            kind: "video",
            codecs: [codec],
            extensions: [],
            direction: .recvonly,
            remoteSSRCs: ssrcs,
            remoteRIDs: [],
            rtcpReducedSize: true
        )
        if ssrcs.count > 1 { media.remoteSimulcastSSRCs = ssrcs }
        let producer = Producer(
            id: "publisher:0",
            participantID: "publisher",
            media: media,
            codec: codec,
            path: self.publisher,
            keyFrameRequestInterval: .milliseconds(300)
        )
        self.producer = producer
        if producer.isSimulcast {
            // The streams by SSRC, as a participant finds them.
            let streams = Dictionary(uniqueKeysWithValues: producer.streams.map { ($0.ssrc!, $0) })  // listed: bound
            self.publisher.didReceiveRTP = { [unowned producer] packet in
                guard let stream = streams[packet.ssrc] else { return }
                producer.forward(packet, from: stream)
            }
        } else {
            let stream = producer.streams[0]
            self.publisher.didReceiveRTP = { [unowned producer, unowned stream] packet in
                producer.forward(packet, from: stream)
            }
        }
        self.publisher.ingressLimit = maximumPublisherBitrate.map(IngressBitrateLimit.init)
        if transportFeedback { self.publisher.startTransportFeedback(extensionID: Self.transportWideSequenceID) }
        self.publisher.attach(
            SelectedUDPSocket(descriptor: sink?.descriptor ?? -1, ipv4: "127.0.0.1", port: sink?.port ?? 9)
        )
        for index in 0..<consumers {
            let path = MediaPath(id: "subscriber-\(index)", bursts: self.bursts)
            try path.start(
                profile: profile,
                localKeyAndSalt: Self.key(UInt8(truncatingIfNeeded: 2 + index), profile: profile),
                remoteKeyAndSalt: Self.key(1, profile: profile)
            )
            path.attach(SelectedUDPSocket(descriptor: sink?.descriptor ?? -1, ipv4: "127.0.0.1", port: sink?.port ?? 9))
            let consumer = Consumer(
                id: "subscriber-\(index)<publisher:0",
                mid: "0",
                producer: producer,
                path: path,
                ssrc: SSRC(0x5000_0000 &+ UInt32(index))
            )
            consumer.payloadType = 100
            if producer.isSimulcast { consumer.move(to: producer.streams[index % producer.streams.count]) }
            if temporalLayers { consumer.setPreferredTemporalLayer(index % 3) }
            if subscriberExtensions {
                consumer.negotiatedExtensions = Consumer.offeredExtensions(for: producer, transportWideCC: true)
                consumer.updateExtensions()
            }
            producer.consumers.append(consumer)
            self.subscribers.append(path)
        }
    }

    /// The SSRC of the publisher's (first) stream.
    public static let publisherSSRC: UInt32 = 0x1234_5678

    /// A fixed key and salt for `profile`, different for each `seed`.
    static func key(_ seed: UInt8, profile: SRTPProfile) -> [UInt8] {
        (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: $0) &* 7 &+ seed }
    }

    /// One protected datagram from the publisher, through the whole path up to the
    /// consumers' outboxes. The clock is read once, as a transport reads it by default
    /// (for `--max-queue-delay`), and serves as the arrival time and the egress stamp.
    public func receive(_ datagram: UnsafeRawBufferPointer) {
        let now = SelectedUDPSocket.wallClock
        self.bursts.clock = now
        self.publisher.receive(datagram, arrival: now)
    }

    /// Ends a receive burst, as the worker's loop does before it polls again: the
    /// outboxes are sent.
    public func endBurst() {
        self.bursts.flush()
    }

    /// Packets that went through the whole path into the consumers' outboxes, added up
    /// over consumers (sent at the end of the burst, or refused there when the rig has no
    /// socket).
    public var forwarded: UInt64 {
        self.producer.consumers.reduce(0) { $0 &+ $1.packets }
    }

    /// Transport-wide feedback packets the publisher's path sent (to the sink).
    public var feedbackSent: UInt64 { self.publisher.counters.transportFeedbackSent }

    public func close() {
        self.producer.consumers.removeAll()
        for path in self.subscribers { path.close() }
        self.publisher.close()
    }
}
