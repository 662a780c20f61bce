import DTLS
import ICE
import RTP
import SDP
@_spi(Benchmarks) import SFU

/// The generator's peer connections, all on one media worker: each a full WebRTC peer of
/// the project's own stack (libnice ICE, DTLS, SRTP). Publishers send `SyntheticMedia`;
/// subscribers stamp what they receive into the `Meter` and send a receiver report every
/// second, as a browser does (servers drop peers that stay silent).
///
/// Every member is touched on `worker` only; `onWorker` is the way in from async code.
final class Fleet: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case transport(String)
        case timedOut(String)

        var description: String {
            switch self {
            case .transport(let what): "transport: \(what)"
            case .timedOut(let what): "timed out: \(what)"
            }
        }
    }

    final class Peer {
        let id: Int
        let transport: WebRTCTransport
        var media: SyntheticMedia?
        var gathered: [CheckedContinuation<Void, Never>] = []
        var connected: CheckedContinuation<Void, any Error>?
        var connectStarted: UInt64 = 0
        var connectDeadline: UInt64 = 0
        let reportSSRC: SSRC
        /// Counts received packets down to the next one whose kernel arrival time is read.
        var untilSample: Int

        init(id: Int, transport: WebRTCTransport, reportSSRC: SSRC) {
            self.id = id
            self.transport = transport
            self.reportSSRC = reportSSRC
            self.untilSample = id % Meter.kernelSampling
        }

        /// When the kernel received the packet just read, on the monotonic clock, for one
        /// packet in `Meter.kernelSampling`; nil for the others. The transport read the
        /// time with the packet (around libnice, from the batch's control messages).
        func sampledArrival(now: UInt64) -> UInt64? {
            guard self.untilSample == 0 else {
                self.untilSample -= 1
                return nil
            }
            self.untilSample = Meter.kernelSampling - 1
            let kernel = self.transport.media.arrival
            let wallClock = SelectedUDPSocket.wallClock
            guard kernel > 0, wallClock >= kernel, wallClock - kernel <= now else { return nil }
            return now - (wallClock - kernel)
        }
    }

    let worker: MediaWorker
    let certificate: DTLSCertificate
    let localAddress: String
    /// The meter, in a box of its own that the receive path holds: the fleet has a side
    /// table (its timer holds it weakly), and reaching it from every packet went through
    /// the runtime's slow reference-counting paths.
    final class MeterBox {
        var meter: Meter
        init(_ meter: Meter) { self.meter = meter }
    }
    let meterBox: MeterBox
    var meter: Meter {
        get { self.meterBox.meter }
        _modify { yield &self.meterBox.meter }
    }
    let settings: SyntheticMedia.Settings
    private var peers: [Int: Peer] = [:]
    /// The peers that send media, and those waiting for ICE and DTLS: what the 5 ms tick
    /// walks (the subscribers, most of the peers, only once a second for their reports).
    private var publishers: [Peer] = []
    private var connecting: [Int: Peer] = [:]
    private var nextID = 0
    private var timer: WorkerTimer?
    private var lastReport: UInt64 = 0

    init(worker: MediaWorker, localAddress: String, streams: Int, settings: SyntheticMedia.Settings) throws {
        self.worker = worker
        self.certificate = try DTLSCertificate(commonName: "sfu-load")
        self.localAddress = localAddress
        self.meterBox = MeterBox(Meter(streams: streams))
        self.settings = settings
    }

    /// Runs `body` on the worker and returns its result.
    func onWorker<T: Sendable>(_ body: @escaping @Sendable (Fleet) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.worker.execute { continuation.resume(with: Result { try body(self) }) }
        }
    }

    /// Starts the pacing timer (publishers' media every 5 ms, reports every second).
    func start() {
        self.timer = WorkerTimer(on: self.worker, every: .milliseconds(5)) { [weak self] in
            self?.tick()
            return self != nil
        }
    }

    func stop() {
        self.timer?.cancel()
        self.timer = nil
        for peer in self.peers.values { peer.transport.close() }
        self.peers.removeAll()
        self.publishers.removeAll()
        self.connecting.removeAll()
    }

    // MARK: - Peers

    /// A new peer whose ICE agent gathers now; its id.
    func makePeer(controlling: Bool) throws -> Int {
        self.nextID += 1
        let id = self.nextID
        let configuration = ICEAgent.Configuration(
            isControlling: controlling,
            localAddresses: [self.localAddress],
            silenceTimeout: nil,
            maximumQueueDelay: nil
        )
        let transport: WebRTCTransport
        do {
            transport = try WebRTCTransport(
                id: "load-\(id)",
                worker: self.worker,
                certificate: self.certificate,
                ice: configuration
            )
        } catch {
            throw Failure.transport("\(error)")
        }
        // The added-latency probe reads each packet's kernel receive time.
        transport.media.keepsArrivalTimes = true
        let peer = Peer(id: id, transport: transport, reportSSRC: UInt32(truncatingIfNeeded: 0x4C00_0000 &+ id))
        transport.didGatherCandidate = { [unowned peer] candidate in
            guard candidate.isEmpty else { return }
            for waiter in peer.gathered { waiter.resume() }
            peer.gathered.removeAll()
        }
        transport.didChangeState = { [unowned self, unowned peer] state in self.peer(peer, didChange: state) }
        transport.media.didReceiveRTP = { [meterBox = self.meterBox, unowned peer] packet in
            let now = monotonicNanoseconds()
            meterBox.meter.didReceive(packet, at: now, arrival: peer.sampledArrival(now: now))
        }
        self.peers[id] = peer
        return id
    }

    /// Waits until the peer's candidates are gathered (host candidates only: quick).
    func gathered(_ id: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.worker.execute {
                guard let peer = self.peers[id], !peer.transport.localDescription.isGatheringComplete else {
                    continuation.resume()
                    return
                }
                peer.gathered.append(continuation)
            }
        }
    }

    func localDescription(_ id: Int) async throws -> LocalTransportDescription {
        try await self.onWorker { fleet in
            guard let peer = fleet.peers[id] else { throw Failure.transport("no peer \(id)") }
            return peer.transport.localDescription
        }
    }

    /// Connects to `remote` and waits for ICE and DTLS to complete; records the time
    /// they took in the meter.
    func connect(_ id: Int, to remote: RemoteTransportDescription, timeout: Duration) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.worker.execute {
                guard let peer = self.peers[id] else {
                    continuation.resume(throwing: Failure.transport("no peer \(id)"))
                    return
                }
                peer.connected = continuation
                self.connecting[id] = peer
                peer.connectStarted = monotonicNanoseconds()
                peer.connectDeadline =
                    peer.connectStarted + UInt64(timeout.components.seconds) * 1_000_000_000
                do {
                    try peer.transport.connect(to: remote)
                } catch {
                    peer.connected = nil
                    self.connecting[id] = nil
                    continuation.resume(throwing: Failure.transport("\(error)"))
                }
            }
        }
    }

    func addRemoteCandidate(_ id: Int, _ candidate: String) {
        self.worker.execute { try? self.peers[id]?.transport.addRemoteCandidate(candidate) }
    }

    /// Makes the peer a publisher of `feed`: it sends media from now on.
    func startMedia(_ id: Int, feed: Int, audioSSRC: SSRC, videoSSRCs: [SSRC]) {
        let settings = self.settings
        // Idle, a publisher reports once a second like every other peer (a browser with
        // its tracks muted still sends RTCP).
        guard !settings.idle else { return }
        self.worker.execute {
            guard let peer = self.peers[id] else { return }
            peer.media = SyntheticMedia(settings: settings, feed: feed, audioSSRC: audioSSRC, videoSSRCs: videoSSRCs)
            peer.transport.media.didReceiveRTCP = { [unowned peer] packet in
                switch packet {
                case .pictureLossIndication, .fullIntraRequest: peer.media?.isKeyFrameRequested = true
                default: break
                }
            }
            self.publishers.append(peer)
        }
    }

    // MARK: - On the worker

    private func peer(_ peer: Peer, didChange state: WebRTCTransport.State) {
        switch state {
        case .connected:
            peer.transport.media.socket?.startReceiveTimes()
            self.connecting[peer.id] = nil
            _ = self.meter.setup.record((monotonicNanoseconds() - peer.connectStarted) / 1_000)
            peer.connected?.resume()
            peer.connected = nil
        case .failed, .closed:
            if let connected = peer.connected {
                self.meter.failedPeers += 1
                connected.resume(throwing: Failure.transport("ICE or DTLS failed"))
                peer.connected = nil
            }
        default:
            break
        }
    }

    private func tick() {
        let now = monotonicNanoseconds()
        for peer in self.connecting.values where now > peer.connectDeadline {
            self.connecting[peer.id] = nil
            self.meter.failedPeers += 1
            peer.connected?.resume(throwing: Failure.timedOut("ICE and DTLS of \(peer.transport.id)"))
            peer.connected = nil
        }
        for peer in self.publishers where peer.transport.state == .connected {
            guard var media = peer.media else { continue }
            if let window = self.meter.window, window.contains(now) {
                self.meter.maximumSendLag = max(self.meter.maximumSendLag, media.lateness(at: now))
            }
            let transport = peer.transport.media
            media.sendDue(now: now) { packet, stream in
                let sent = transport.sendRTP(
                    packet,
                    ssrc: packet.ssrc,
                    sequenceNumber: packet.sequenceNumber,
                    timestamp: packet.timestamp,
                    payloadType: packet.payloadType
                )
                if !sent { self.meter.refusedSends += 1 }
                self.meter.didSend(stream: stream, at: now)
            }
            peer.media = media
        }
        if now - self.lastReport >= 1_000_000_000 {
            self.lastReport = now
            for peer in self.peers.values where peer.media == nil && peer.transport.state == .connected {
                peer.transport.media.sendRTCP([.receiverReport(ReceiverReport(ssrc: peer.reportSSRC))])
            }
        }
    }
}
