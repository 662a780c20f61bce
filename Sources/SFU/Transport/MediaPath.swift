public import DTLS
public import ICE
import NIOCore
public import RTP

/// The media half of a transport: SRTP contexts, the reusable ingress and egress buffers,
/// the outbox, the selected pair's socket and the counters. Producers and consumers hold
/// it; the connection half (`WebRTCTransport`: ICE, DTLS, state) hands it SRTP datagrams
/// and installs its keys and socket.
///
/// It needs no ICE agent, no worker thread and no network of its own: a test or a
/// benchmark builds one with fixed keys (`start(profile:localKeyAndSalt:remoteKeyAndSalt:)`),
/// gives it a socket, hands it protected datagrams with `receive(_:)`, and ends each
/// burst with its own `BurstQueue`. Used on one thread (the room's worker).
public final class MediaPath: BurstFlushing {
    public let id: String
    /// Where the path asks to be flushed at the end of a receive burst.
    let bursts: BurstQueue
    var srtpInbound: SRTPContext?
    var srtpOutbound: SRTPContext?
    /// The selected pair's own socket, when it has one (plain UDP on the local side).
    public internal(set) var socket: SelectedUDPSocket?
    /// How datagrams go without a socket (TCP or relayed pairs, or before the pair's
    /// socket is known): through the ICE agent.
    var agent: ICEAgent?
    /// Decrypted ingress and encrypted egress, reused for every packet.
    var ingress: ByteBuffer
    var egress: ByteBuffer
    /// Protected datagrams waiting for the end of the receive burst.
    var outbox = Outbox()
    var isWaitingForEndOfBurst = false
    /// Whether media may be sent: keys exist and the connection is up.
    public internal(set) var isConnected = false
    public internal(set) var drops = DropCounters()
    public internal(set) var counters = TransportCounters()
    /// Transport-wide congestion-control feedback to the peer, once it negotiated the
    /// transport-wide sequence number (a publishing path).
    var transportFeedback: TransportFeedbackGenerator?
    /// The next transport-wide sequence number this path sends, and what it sent with
    /// one (made when the first consumer that writes the extension is set up).
    var transportSequence: UInt16 = 0
    var sendHistory: SendHistory?
    /// The subscriber link's estimate, once its feedback arrived, and who hears of changes.
    var estimator: BandwidthEstimator?
    public var didUpdateEstimate: ((Int) -> Void)?
    /// Whether received RTP needs its arrival time: for transport-wide feedback, for the
    /// ingress limit, or when the owner asked (`keepsArrivalTimes`, a load generator measuring latency).
    public var needsArrivalTimes: Bool {
        self.transportFeedback != nil || self.keepsArrivalTimes || self.ingressLimit != nil
    }
    public var keepsArrivalTimes = false
    /// When the RTP packet being handed to `didReceiveRTP` arrived, in nanoseconds of the
    /// realtime clock (the kernel's time where the reader knows it); 0 unless
    /// `needsArrivalTimes`.
    public internal(set) var arrival: UInt64 = 0

    /// A decrypted RTP packet: a view valid during the call only.
    public var didReceiveRTP: ((RTPPacket) -> Void)?
    /// Each packet of a decrypted RTCP compound datagram.
    public var didReceiveRTCP: ((RTCPPacket) -> Void)?
    /// Bandwidth probes: when and how fast, and how they are sent (last: off the
    /// per-packet path, its fields stay out of the hot ones' cache lines).
    let prober = BandwidthProber()
    /// A publishing path's most incoming media; media beyond it is dropped, counted (once
    /// per datagram received, after the fields every sent copy touches).
    var ingressLimit: IngressBitrateLimit?
    /// A publishing path's streams with packets missing: the repair timer (started with
    /// `startRepairTimer`, stopped when none is left) sends their NACK retries when due,
    /// rather than at the stream's next packet, a frame later when the missing packet
    /// ended one. Without a timer (tests driving the path), retries wait for packets.
    var awaitingRepair: [ProducerStream] = []
    var startRepairTimer: (() -> Void)?

    public init(id: String, bursts: BurstQueue) {
        self.id = id
        self.bursts = bursts
        let allocator = ByteBufferAllocator()
        self.ingress = allocator.buffer(capacity: 2048)
        self.egress = allocator.buffer(capacity: 2048)
    }

    /// Installs the keys DTLS exported (or fixed ones) and opens the path for media.
    public func start(profile: SRTPProfile, localKeyAndSalt: [UInt8], remoteKeyAndSalt: [UInt8]) throws(SFUError) {
        do {
            self.srtpInbound = try SRTPContext(profile: profile, keyAndSalt: remoteKeyAndSalt, direction: .inbound)
            self.srtpOutbound = try SRTPContext(profile: profile, keyAndSalt: localKeyAndSalt, direction: .outbound)
        } catch {
            throw .transport("SRTP: \(error)")
        }
        self.isConnected = true
    }

    /// Sends transport-wide feedback (RTPFB 15) for the packets that carry the transport-wide
    /// sequence number under `extensionID`.
    public func startTransportFeedback(extensionID: UInt8) {
        self.transportFeedback = TransportFeedbackGenerator(extensionID: extensionID, senderSSRC: Room.reportingSSRC)
    }

    /// Sends through `socket` from now on (the selected pair's, or a test's own).
    @_spi(Benchmarks) public func attach(_ socket: SelectedUDPSocket?) {
        self.socket = socket
    }

    /// Sends what is queued, and stops: no keys, no socket, no callbacks.
    func close() {
        self.sendOutbox()
        self.isConnected = false
        self.socket = nil
        self.agent = nil
        self.srtpInbound = nil
        self.srtpOutbound = nil
        self.didReceiveRTP = nil
        self.didReceiveRTCP = nil
        self.didUpdateEstimate = nil
        self.prober.sendPacket = nil
        self.prober.startPacing = nil
        self.startRepairTimer = nil
        self.awaitingRepair.removeAll()
    }

    /// Has the repair timer retry `stream`'s missing packets until none is left.
    func awaitRepair(of stream: ProducerStream) {
        guard let start = self.startRepairTimer, !self.awaitingRepair.contains(where: { $0 === stream }) else { return }
        self.awaitingRepair.append(stream)
        start()
    }

    /// The repair timer's tick: the retries due now; whether any stream still misses
    /// packets.
    func retryRepairs(now: ContinuousClock.Instant = .now) -> Bool {
        self.awaitingRepair.removeAll { !$0.retryMissing(now: now) }
        return !self.awaitingRepair.isEmpty
    }
}

/// Packets and bytes through one transport, and the feedback its peer sent.
public struct TransportCounters: Sendable {
    public var bytesIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var srtpFailures: UInt64 = 0
    /// Transport-wide feedback packets sent to the peer.
    public var transportFeedbackSent: UInt64 = 0
    /// Feedback a subscriber sent about the streams it receives.
    public var nacksReceived: UInt64 = 0
    public var pictureLossIndications: UInt64 = 0
    public var fullIntraRequests: UInt64 = 0
}
