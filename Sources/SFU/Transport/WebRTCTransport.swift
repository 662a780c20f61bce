public import DTLS
public import ICE
import NIOCore
import RTP
public import SDP

/// One browser peer connection's connection half: an ICE agent, a DTLS session and the
/// state, BUNDLE and rtcp-mux only (DESIGN.md). Received datagrams are demultiplexed by
/// their first byte (RFC 7983): DTLS goes to the handshake, SRTP and SRTCP to `media`,
/// the media path producers and consumers hold, which gets its keys once the handshake
/// exports them. Owned by its room's media worker: every call and every callback runs on
/// that thread.
public final class WebRTCTransport {
    public enum State: Equatable, Sendable {
        case new, connecting, connected, failed, closed
    }

    public let id: String
    public let worker: MediaWorker
    public let ice: ICEAgent
    /// SRTP, buffers, outbox, socket and counters: the per-packet half.
    public let media: MediaPath
    let certificate: DTLSCertificate
    var dtls: DTLSSession?
    /// `ice.configuration.maximumQueueDelay` in nanoseconds, and the kernel's receive
    /// time of the last datagram checked against it.
    let queueDelayLimit: UInt64?
    var lastReceiveTime: UInt64 = 0
    var timer: WorkerTimer?
    /// Paces a bandwidth probe while one runs: a packet's worth every millisecond or so.
    var probeTimer: WorkerTimer?
    var repairTimer: WorkerTimer?
    public private(set) var state: State = .new
    /// The peer's side as last negotiated: credentials, fingerprints, DTLS role.
    public private(set) var remote: RemoteTransportDescription?
    /// ICE restarts the peer asked for by new credentials, or the server made.
    public private(set) var iceRestarts = 0
    /// Set by a restart of this side's until the peer's answer brings its credentials.
    var restartAwaitsAnswer = false
    /// Datagrams received (the ICE agent counts them; STUN excluded).
    public var packetsIn: Int { self.ice.receivedDatagrams }

    public var didChangeState: ((State) -> Void)?
    /// The connected peer has sent nothing for a while (`silenceBeforeRestart`): its path
    /// likely died; an ICE restart may find another.
    public var didGoSilent: (() -> Void)?
    /// A local candidate to trickle to the peer, `candidate:…`; an empty string is
    /// end-of-candidates.
    public var didGatherCandidate: ((String) -> Void)?

    public init(
        id: String,
        worker: MediaWorker,
        certificate: DTLSCertificate,
        ice configuration: ICEAgent.Configuration
    ) throws(SFUError) {
        self.id = id
        self.worker = worker
        self.certificate = certificate
        self.queueDelayLimit = configuration.maximumQueueDelay.map { limit in
            UInt64(limit.components.seconds) * 1_000_000_000 + UInt64(limit.components.attoseconds / 1_000_000_000)
        }
        do {
            self.ice = try ICEAgent(worker: worker, configuration: configuration)
        } catch {
            throw .transport("ICE: \(error)")
        }
        self.media = MediaPath(id: id, bursts: worker.bursts)
        self.media.agent = self.ice
        self.ice.onReceive = { [unowned self] bytes in self.didReceive(bytes, kernelTime: nil) }
        // Around libnice (`RTPSocket`), with the kernel's receive time (0: unknown).
        self.ice.onReceiveRTP = { [unowned self] bytes, time in
            self.didReceive(bytes, kernelTime: time == 0 ? nil : time)
        }
        self.ice.onForeignDatagram = { [unowned self] in self.media.drops.record(.foreignAddress) }
        self.ice.onStateChange = { [unowned self] state in self.iceDidChange(state) }
        self.ice.onSelectedPairChange = { [unowned self] _ in
            self.media.socket = self.ice.selectedSocket()
            if self.queueDelayLimit != nil || self.media.needsArrivalTimes { self.media.socket?.startReceiveTimes() }
        }
        self.media.prober.startPacing = { [unowned self] in self.startProbeTimer() }
        self.media.startRepairTimer = { [unowned self] in self.startRepairTimer() }
        self.ice.onLocalCandidate = { [unowned self] candidate in self.didGatherCandidate?(candidate) }
        self.ice.onSilence = { [unowned self] in if self.state == .connected { self.didGoSilent?() } }
        self.ice.onGatheringDone = { [unowned self] in self.didGatherCandidate?("") }
        do {
            try self.ice.gatherCandidates()
        } catch {
            self.ice.close()
            throw .transport("ICE gathering: \(error)")
        }
    }

    /// What SDP says of this side: credentials, fingerprint, candidates so far.
    public var localDescription: LocalTransportDescription {
        let credentials = self.ice.localCredentials
        let candidates = self.ice.localCandidates.compactMap { text in
            Candidate(sdpValue: text.hasPrefix("candidate:") ? String(text.dropFirst(10)) : text)
        }
        return LocalTransportDescription(
            iceUfrag: credentials.ufrag,
            icePwd: credentials.pwd,
            fingerprint: Fingerprint(hashFunction: "sha-256", value: self.certificate.fingerprint.hex),
            candidates: candidates,
            isGatheringComplete: self.ice.isGatheringDone
        )
    }

    /// Starts ICE and DTLS towards the remote side of a negotiated description.
    public func connect(to remote: RemoteTransportDescription) throws(SFUError) {
        guard self.state == .new else { throw .transport("already connected") }
        let fingerprints = remote.fingerprints.compactMap { DTLSFingerprint(sdpValue: $0.sdpValue) }
        guard !fingerprints.isEmpty else { throw .transport("the remote description has no usable fingerprint") }
        // The SFU is the DTLS server unless the peer insists on being it.
        let role: DTLSRole = remote.setup == .passive ? .client : .server
        do {
            self.dtls = try DTLSSession(role: role, certificate: self.certificate, remoteFingerprints: fingerprints)
            try self.ice.setRemoteCredentials(ufrag: remote.iceUfrag, pwd: remote.icePwd)
            for candidate in remote.candidates { try? self.ice.addRemoteCandidate("candidate:" + candidate.sdpValue) }
            if remote.isGatheringComplete { self.ice.remoteGatheringDone() }
        } catch {
            throw .transport("\(error)")
        }
        self.remote = remote
        self.update(.connecting)
        // `unowned`, not `weak`: a weak reference gives the transport a side table, and
        // every retain of it (each burst's flush) goes through the runtime's slow path.
        // The timer cannot outlive the transport: `deinit` cancels it.
        self.timer = WorkerTimer(on: self.ice, every: .milliseconds(20)) { [unowned self] in
            self.tick()
        }
    }

    /// The peer's side of a new offer or answer on this live transport. The DTLS
    /// certificate cannot change (a new one needs a new peer connection); new ICE
    /// credentials restart ICE (RFC 8839 §4.4.1.1.1), the media going on over the
    /// current pair until the new checks select one. Whether ICE restarted.
    @discardableResult
    public func renegotiate(_ remote: RemoteTransportDescription) throws(SFUError) -> Bool {
        guard let current = self.remote, self.state != .closed else { throw .transport("not connected yet") }
        guard Set(remote.fingerprints) == Set(current.fingerprints) else {
            throw .negotiation("the DTLS fingerprint changed; a new certificate needs a new peer connection")
        }
        guard self.restartAwaitsAnswer || remote.iceUfrag != current.iceUfrag || remote.icePwd != current.icePwd
        else {
            self.remote = remote
            return false
        }
        do {
            if self.restartAwaitsAnswer {
                self.restartAwaitsAnswer = false
            } else {
                try self.ice.restart()
                self.iceRestarts += 1
            }
            try self.ice.setRemoteCredentials(ufrag: remote.iceUfrag, pwd: remote.icePwd)
            for candidate in remote.candidates { try? self.ice.addRemoteCandidate("candidate:" + candidate.sdpValue) }
            if remote.isGatheringComplete { self.ice.remoteGatheringDone() }
        } catch {
            throw .transport("ICE restart: \(error)")
        }
        self.remote = remote
        return true
    }

    /// Restarts ICE from this side (new local credentials, to signal in a new offer);
    /// the peer's answer brings its own (`renegotiate`).
    public func restartICE() throws(SFUError) {
        guard self.state != .closed, self.state != .new else { throw .transport("not connected yet") }
        do { try self.ice.restart() } catch { throw .transport("ICE restart: \(error)") }
        self.iceRestarts += 1
        self.restartAwaitsAnswer = true
    }

    deinit {
        self.timer?.cancel()
        self.probeTimer?.cancel()
        self.repairTimer?.cancel()
    }

    /// Retries the media path's NACKs to the publisher while packets are missing, every
    /// 10 ms (half the shortest retry interval).
    func startRepairTimer() {
        guard self.repairTimer?.isRunning != true else { return }
        self.repairTimer = WorkerTimer(on: self.ice, every: .milliseconds(10)) { [unowned self] in
            self.media.retryRepairs()
        }
    }

    /// Paces the media path's probe until it ends, from its first packet on.
    func startProbeTimer() {
        guard self.probeTimer?.isRunning != true, self.media.probe() else { return }
        self.probeTimer = WorkerTimer(on: self.ice, every: .milliseconds(1)) { [unowned self] in
            self.media.probe()
        }
    }

    /// A trickled remote candidate (`candidate:…`); an empty string is end-of-candidates.
    public func addRemoteCandidate(_ candidate: String) throws(SFUError) {
        if candidate.isEmpty {
            self.ice.remoteGatheringDone()
            return
        }
        do {
            try self.ice.addRemoteCandidate(candidate)
        } catch {
            throw .invalidCandidate(candidate)
        }
    }

    public func close() {
        guard self.state != .closed else { return }
        if let dtls = self.dtls, dtls.state == .connected {
            for datagram in dtls.close() { datagram.withUnsafeBytes { _ = self.ice.send($0) } }
        }
        self.timer?.cancel()
        self.timer = nil
        self.probeTimer?.cancel()
        self.probeTimer = nil
        self.repairTimer?.cancel()
        self.repairTimer = nil
        self.media.close()
        self.ice.close()
        self.update(.closed)
        self.didChangeState = nil
        self.didGoSilent = nil
        self.didGatherCandidate = nil
    }

    func update(_ state: State) {
        guard self.state != state, self.state != .closed else { return }
        self.state = state
        self.media.isConnected = state == .connected
        self.didChangeState?(state)
    }

    func iceDidChange(_ state: ICEAgent.State) {
        switch state {
        case .ready, .connected:
            if let dtls = self.dtls, dtls.state == .new {
                self.sendDTLS(dtls.start(at: .now))
            }
        case .failed:
            self.update(.failed)
        default:
            break
        }
    }

    /// Whether the handshake timer (DTLS retransmissions) still wakes the worker for this
    /// transport; it stops once keys exist.
    public var isHandshakeTimerRunning: Bool { self.timer?.isRunning ?? false }

    /// DTLS retransmissions and the handshake deadline; stops once keys exist (a timer
    /// left running on every connected peer woke the worker 50 times a second per peer
    /// for nothing: 8 % of a core at 800 subscribers).
    func tick() -> Bool {
        guard let dtls = self.dtls, self.state == .connecting else { return false }
        if dtls.state == .handshaking, (dtls.nextTimeout ?? .zero) <= .zero {
            self.sendDTLS(dtls.handleTimeout(at: .now))
        }
        if case .failed = dtls.state {
            self.update(.failed)
            return false
        }
        return true
    }

    func sendDTLS(_ datagrams: [[UInt8]]) {
        for datagram in datagrams {
            datagram.withUnsafeBytes { _ = self.ice.send($0) }
        }
    }

    /// A datagram from the selected pair: through libnice, or RTP and RTCP read around it
    /// with the time the kernel received them (`kernelTime`, when the reader knows).
    func didReceive(_ bytes: UnsafeRawBufferPointer, kernelTime: UInt64?) {
        self.media.counters.bytesIn &+= UInt64(bytes.count)
        switch DatagramKind(bytes) {
        case .rtp: self.receiveRTP(bytes, kernelTime: kernelTime)
        case .rtcp: self.media.receiveRTCP(bytes)
        case .dtls: self.receiveDTLS(bytes)
        default: self.media.drops.record(.unknownDatagram)
        }
    }

    /// `kernelTime`: when the kernel received the datagram, if its reader knows; nil, it
    /// is asked of the selected socket when needed.
    @inline(__always)
    func receiveRTP(_ bytes: UnsafeRawBufferPointer, kernelTime: UInt64?) {
        let readsTimes = self.queueDelayLimit != nil || self.media.needsArrivalTimes
        let now = readsTimes ? SelectedUDPSocket.wallClock : 0
        // What this datagram makes is stamped with `now` (0: the egress paths read the
        // clock themselves).
        self.media.bursts.clock = now
        let arrival = readsTimes ? kernelTime ?? self.kernelReceiveTime() ?? now : 0
        if let limit = self.queueDelayLimit, now > arrival, now - arrival > limit {
            return self.media.drops.record(.queuedTooLong)
        }
        self.media.receiveRTP(bytes, arrival: arrival)
    }

    /// When the kernel received the datagram just read from the selected socket: one
    /// `ioctl`. A time equal to the last one read means the datagram came through another
    /// of the agent's sockets (the time is that of the last datagram read from the
    /// selected one): nil, as without a socket.
    @inline(__always)
    func kernelReceiveTime() -> UInt64? {
        guard let received = self.media.socket?.lastReceiveTime(), received != self.lastReceiveTime else {
            return nil
        }
        self.lastReceiveTime = received
        return received
    }

    /// Sends transport-wide feedback for the packets that carry the transport-wide
    /// sequence number under `extensionID`, with their kernel receive times.
    public func startTransportFeedback(extensionID: UInt8) {
        self.media.startTransportFeedback(extensionID: extensionID)
        self.media.socket?.startReceiveTimes()
    }

    func receiveDTLS(_ bytes: UnsafeRawBufferPointer) {
        guard let dtls = self.dtls else {
            self.media.drops.record(.unknownDatagram)
            return
        }
        self.sendDTLS(dtls.receive(Array(bytes), at: .now))
        if dtls.state == .connected, self.media.srtpInbound == nil {
            self.startSRTP(dtls)
        } else if case .failed = dtls.state {
            self.update(.failed)
        }
    }

    /// Hands the keys the handshake exported to the media path.
    func startSRTP(_ dtls: DTLSSession) {
        guard let keys = dtls.keyingMaterial else { return self.update(.failed) }
        do {
            try self.media.start(
                profile: keys.profile,
                localKeyAndSalt: keys.localKeyAndSalt,
                remoteKeyAndSalt: keys.remoteKeyAndSalt
            )
        } catch {
            return self.update(.failed)
        }
        self.update(.connected)
    }
}
