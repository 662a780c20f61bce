internal import CNice

/// libnice's signals and receive callback, on the worker's thread.
extension ICEAgent {
    func update(_ state: State) {
        guard state != self.state else { return }
        self.state = state
        if state == .ready, self.silenceWatchdog == nil, let timeout = self.configuration.silenceTimeout {
            self.silenceWatchdog = SilenceWatchdog(
                agent: self,
                timeout: timeout,
                restartAfter: self.configuration.silenceBeforeRestart
            )
        }
        self.onStateChange?(state)
    }

    /// The SDP forms (`candidate:…`) a local candidate is advertised in: a host candidate
    /// behind a 1:1 NAT carries the public address, and the private one too if asked.
    func advertisedForms(of candidate: UnsafeMutablePointer<NiceCandidate>) -> [String] {
        var forms: [UnsafeMutablePointer<gchar>?] = []
        if let advertised = self.configuration.advertisedAddress, cnice_candidate_is_host(candidate) != 0 {
            forms.append(cnice_candidate_sdp_with_address(self.agent, candidate, advertised))
            if self.configuration.keepsPrivateHostCandidates {
                forms.append(cnice_candidate_sdp(self.agent, candidate))
            }
        } else {
            forms.append(cnice_candidate_sdp(self.agent, candidate))
        }
        return forms.compactMap { sdp in
            guard let sdp else { return nil }
            defer { g_free(sdp) }
            let text = String(cString: sdp)
            return text.hasPrefix("a=") ? String(text.dropFirst(2)) : text
        }
    }

    static let receiveCallback: NiceAgentRecvFunc = { _, _, _, length, buffer, context in
        guard let context, let buffer else { return }
        let agent = Unmanaged<ICEAgent>.fromOpaque(context).takeUnretainedValue()
        agent.receivedDatagrams &+= 1
        let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(length))
        // Media through libnice (a TCP or TURN pair, or before the UDP pair is read
        // directly) keeps the worker from being quiet too.
        if ICEAgent.carriesMedia(bytes) { agent.worker.mux.readMedia = true }
        agent.onReceive?(bytes)
        guard agent.yieldsTurns else { return }
        agent.peerContext.budget -= 1
        if agent.peerContext.budget <= 0 { agent.yieldTurn() }
    }

    /// Stops taking datagrams until the worker's other peers had their turn: libnice
    /// stops reading once the receive callback is gone (ContextMux.datagramsPerTurn).
    /// Only on a plain UDP pair: over TCP (ICE-TCP, TURN over TCP or TLS) libnice reads
    /// several framed messages at once and keeps the rest in its own buffer, which no
    /// descriptor would announce again.
    func yieldTurn() {
        guard !self.isClosed, !self.peerContext.hasYielded else { return }
        nice_agent_attach_recv(self.agent, self.streamID, 1, self.peerContext.context, nil, nil)
        self.worker.mux.yield(self.peerContext)
    }

    /// The worker's other peers had their turn (`ContextMux`).
    func takeDatagramsAgain() {
        guard !self.isClosed else { return }
        nice_agent_attach_recv(
            self.agent,
            self.streamID,
            1,
            self.peerContext.context,
            Self.receiveCallback,
            self.context
        )
    }

    static func from(_ context: gpointer?) -> ICEAgent? {
        context.map { Unmanaged<ICEAgent>.fromOpaque($0).takeUnretainedValue() }
    }

    func connectSignals() {
        typealias CandidateSignal =
            @convention(c) (OpaquePointer?, UnsafeMutablePointer<NiceCandidate>?, gpointer?) ->
            Void
        typealias StreamSignal = @convention(c) (OpaquePointer?, guint, gpointer?) -> Void
        typealias StateSignal = @convention(c) (OpaquePointer?, guint, guint, guint, gpointer?) -> Void
        typealias PairSignal =
            @convention(c) (
                OpaquePointer?, guint, guint, UnsafeMutablePointer<NiceCandidate>?,
                UnsafeMutablePointer<NiceCandidate>?,
                gpointer?
            ) -> Void

        let candidate: CandidateSignal = { _, candidate, context in
            guard let candidate, let me = ICEAgent.from(context) else { return }
            for form in me.advertisedForms(of: candidate) { me.onLocalCandidate?(form) }
        }
        let gatheringDone: StreamSignal = { _, _, context in
            guard let me = ICEAgent.from(context) else { return }
            me.isGatheringDone = true
            me.onGatheringDone?()
        }
        let stateChanged: StateSignal = { _, _, _, state, context in
            guard let me = ICEAgent.from(context) else { return }
            switch NiceComponentState(rawValue: state) {
            case NICE_COMPONENT_STATE_GATHERING: me.update(.gathering)
            case NICE_COMPONENT_STATE_CONNECTING: me.update(.checking)
            case NICE_COMPONENT_STATE_CONNECTED: me.update(.connected)
            case NICE_COMPONENT_STATE_READY: me.update(.ready)
            case NICE_COMPONENT_STATE_FAILED: me.update(.failed)
            default: me.update(.disconnected)
            }
        }
        let pairSelected: PairSignal = { _, _, _, _, _, context in
            guard let me = ICEAgent.from(context), let pair = me.selectedPair else { return }
            me.yieldsTurns = pair.isPlainUDP
            me.tuneSelectedSocket()
            me.updateRTPSocket()
            me.onSelectedPairChange?(pair)
        }
        let signals: [(String, GCallback)] = [
            ("new-candidate-full", unsafeBitCast(candidate, to: GCallback.self)),
            ("candidate-gathering-done", unsafeBitCast(gatheringDone, to: GCallback.self)),
            ("component-state-changed", unsafeBitCast(stateChanged, to: GCallback.self)),
            ("new-selected-pair-full", unsafeBitCast(pairSelected, to: GCallback.self)),
        ]
        self.signalHandlers = signals.map { name, callback in
            UInt(cnice_signal_connect(UnsafeMutableRawPointer(self.agent), name, callback, self.context))
        }
    }
}

/// Reports a connected peer silent once no datagram has arrived for `restartAfter`, and
/// declares it failed after `timeout`. It counts datagrams instead of reading a clock
/// per packet: a timer on the worker compares the agent's count every quarter of the
/// shorter of the two.
///
/// The agent owns its watchdog and cancels it when it closes (which it must before it
/// goes), so neither outlives the other while the timer runs: the timer holds both
/// `unowned`, not `weak`. A weak reference is loaded through a side table of its own, a
/// cache line more to miss for each of hundreds of idle peers every second.
final class SilenceWatchdog {
    var timer: WorkerTimer?
    let timeout: Duration
    let restartAfter: Duration?
    var lastCount: Int
    var lastHeard: ContinuousClock.Instant
    /// Whether this silence was reported.
    var reported = false

    init(agent: ICEAgent, timeout: Duration, restartAfter: Duration? = nil) {
        self.timeout = timeout
        self.restartAfter = restartAfter
        self.lastCount = agent.receivedDatagrams
        self.lastHeard = .now
        let shortest = min(timeout, restartAfter ?? timeout)
        self.timer = WorkerTimer(on: agent, every: max(.milliseconds(25), shortest / 4)) {
            [unowned self, unowned agent] in
            self.check(agent)
        }
    }

    /// Whether to keep ticking.
    func check(_ agent: ICEAgent) -> Bool {
        let now = ContinuousClock.now
        if agent.receivedDatagrams != self.lastCount {
            self.lastCount = agent.receivedDatagrams
            self.lastHeard = now
            self.reported = false
            return true
        }
        if let restartAfter = self.restartAfter, !self.reported, now - self.lastHeard >= restartAfter {
            self.reported = true
            agent.onSilence?()
        }
        guard now - self.lastHeard >= self.timeout else { return true }
        self.cancel()
        agent.silenceWatchdog = nil
        agent.update(.failed)
        return false
    }

    func cancel() {
        self.timer?.cancel()
        self.timer = nil
    }
}
