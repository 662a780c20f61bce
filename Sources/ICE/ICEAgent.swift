internal import CNice
internal import CUDP
import Foundation

/// One libnice agent for one peer connection: full ICE (RFC 8445), one stream with one
/// component (BUNDLE and rtcp-mux only), trickle both ways, restarts.
///
/// Confined to its `MediaWorker`: create it, call it and close it on the worker's thread.
/// libnice's signals and the receive callback arrive there too, so the callbacks run on
/// the worker without a hop.
public final class ICEAgent {
    public enum State: Equatable, Sendable {
        case disconnected, gathering, checking, connected, ready, failed, closed
    }

    public let worker: MediaWorker
    public let configuration: Configuration
    let agent: OpaquePointer  // NiceAgent
    /// The agent's own GLib context (sockets and timers), iterated by the worker's mux.
    let peerContext: PeerContext
    let streamID: UInt32
    var signalHandlers: [UInt] = []
    public internal(set) var state: State = .disconnected
    public internal(set) var isGatheringDone = false
    /// Datagrams handed to `onReceive` (STUN excluded).
    public internal(set) var receivedDatagrams = 0
    /// Remote candidates passed over: mDNS names, TCP ones without ICE-TCP, RTCP's own
    /// component, repeats.
    public internal(set) var passedOverCandidates = 0
    /// The remote ufrag libnice has (the USERNAME a request to this agent ends with); nil
    /// until the remote credentials arrive, and again from a restart until the new ones.
    var remoteUfrag: String?
    var hasRemoteCredentials: Bool { self.remoteUfrag != nil }
    var pendingRemoteCandidates: [String] = []
    var isRemoteGatheringDone = false
    var silenceWatchdog: SilenceWatchdog?
    /// Whether the receive callback yields its turn after `ContextMux.datagramsPerTurn`
    /// datagrams: once a plain UDP pair is selected.
    var yieldsTurns = false
    var isClosed = false

    /// A local candidate in SDP attribute form (`candidate:…`), as it is gathered.
    public var onLocalCandidate: ((String) -> Void)?
    /// Gathering finished: send end-of-candidates.
    public var onGatheringDone: (() -> Void)?
    public var onStateChange: ((State) -> Void)?
    /// A new pair was selected (first connection, restart, better pair): refetch
    /// `selectedSocket()`.
    public var onSelectedPairChange: ((SelectedPair) -> Void)?
    /// Nothing has arrived from the connected peer for `silenceBeforeRestart` (once per
    /// silence): an ICE restart may find another path.
    public var onSilence: (() -> Void)?
    /// Each datagram received on the selected pair (not STUN), on the worker's thread.
    /// The bytes are libnice's buffer: valid only during the call.
    public var onReceive: ((UnsafeRawBufferPointer) -> Void)?
    /// Each RTP or RTCP datagram received on a plain UDP pair, with the kernel's receive
    /// time (CLOCK_REALTIME nanoseconds; 0 when unknown). Set, the agent reads the pair's
    /// RTP and RTCP around libnice, in batches (`RTPSocket`); unset, they come to
    /// `onReceive` with everything else. Set it before the pair is selected. The bytes are
    /// valid only during the call.
    public var onReceiveRTP: ((UnsafeRawBufferPointer, UInt64) -> Void)?
    /// The selected pair's RTP socket, while RTP is read around libnice.
    var rtpSocket: RTPSocket?
    /// RTP datagrams the RTP socket took from other addresses than the selected pair's
    /// remote one, and dropped.
    public internal(set) var droppedForeignDatagrams = 0
    /// Each such datagram, as it is dropped.
    public var onForeignDatagram: (() -> Void)?
    /// Messages of the RTP socket that held several datagrams which arrived together
    /// (UDP GRO: a sender's GSO send, or what the network card coalesced); each datagram
    /// in them is read on its own.
    public internal(set) var coalescedMessages = 0
    /// Whether the selected pair's RTP is read around libnice now.
    public var readsRTPAroundLibnice: Bool { self.rtpSocket != nil }
    /// Answers the selected remote's binding requests on the RTP socket; nil before a
    /// pair is selected, during an ICE restart, or when the kernel refused the steering.
    var bindingResponder: BindingResponder?
    /// Binding requests the agent answered itself, around libnice.
    public internal(set) var answeredBindingRequests = 0
    /// Binding requests steered to the agent that it refused (`BindingResponder.Refusal`).
    public internal(set) var refusedBindingRequests = 0
    /// The response being written, reused.
    var bindingResponse: [UInt8] = []

    public init(worker: MediaWorker, configuration: Configuration) throws(ICEError) {
        precondition(worker.isCurrentThread, "an ICEAgent is created on its worker")
        let addresses =
            configuration.localAddresses
            + [configuration.advertisedAddress, configuration.stunServer?.address]
            .compactMap { $0 } + configuration.turnServers.map(\.server.address)
        for address in addresses where cnice_address_is_valid(address) == 0 {
            throw .invalidAddress(address)
        }
        // No RFC 7675 consent freshness from libnice: 0.1.21 gives up 10 s after the last
        // consent response, so two checks lost behind media on a congested link end the
        // call. `Configuration.silenceTimeout` (30 s) is the limit instead, and libnice's
        // keepalives are indications; without a silence timeout they are checks, which
        // libnice gives up on 50 s after the last answer (docs/decisions.md).
        let options = NICE_AGENT_OPTION_ICE_TRICKLE
        let peerContext = worker.mux.makeContext()
        guard let agent = nice_agent_new_full(peerContext.context, NICE_COMPATIBILITY_RFC5245, options) else {
            worker.mux.retire(peerContext, after: .zero)
            throw .libnice(operation: "nice_agent_new_full")
        }
        cnice_agent_configure(
            agent,
            configuration.isControlling ? 1 : 0,
            configuration.usesTCP ? 1 : 0,
            configuration.silenceTimeout == nil ? 1 : 0,
            configuration.stunServer?.address,
            UInt32(configuration.stunServer?.port ?? 0)
        )
        let streamID = nice_agent_add_stream(agent, 1)
        do throws(ICEError) {
            for text in configuration.localAddresses {
                var address = NiceAddress()
                nice_address_init(&address)
                guard nice_address_set_from_string(&address, text) != 0,
                    nice_agent_add_local_address(agent, &address) != 0
                else { throw .libnice(operation: "add local address \(text)") }
            }
            guard streamID > 0 else { throw .libnice(operation: "nice_agent_add_stream") }
            if let range = configuration.portRange {
                nice_agent_set_port_range(agent, streamID, 1, UInt32(range.lowerBound), UInt32(range.upperBound))
            }
            for turn in configuration.turnServers {
                guard
                    nice_agent_set_relay_info(
                        agent,
                        streamID,
                        1,
                        turn.server.address,
                        UInt32(turn.server.port),
                        turn.username,
                        turn.password,
                        turn.transport.niceRelayType
                    ) != 0
                else { throw .libnice(operation: "nice_agent_set_relay_info") }
            }
        } catch {
            cnice_object_unref(UnsafeMutableRawPointer(agent))
            worker.mux.retire(peerContext, after: .seconds(1))
            throw error
        }
        self.worker = worker
        self.peerContext = peerContext
        self.configuration = configuration
        self.agent = agent
        self.streamID = streamID
        self.connectSignals()
        peerContext.agent = self
        nice_agent_attach_recv(agent, streamID, 1, peerContext.context, Self.receiveCallback, self.context)
        worker.mux.refresh(peerContext)
    }

    deinit {
        precondition(self.isClosed, "close() an ICEAgent before releasing it")
    }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Whether libnice's agent holds the controlling role (RFC 8445 §6.1.1), as its
    /// `controlling-mode` property says: the role it was given. (libnice resolves a role
    /// conflict, §7.3.1.1, in its checks without changing the property.)
    public var isControlling: Bool {
        guard !self.isClosed else { return self.configuration.isControlling }
        return cnice_agent_is_controlling(self.agent) == 1
    }

    /// The local ufrag and password (RFC 8839 §5.4); new ones after `restart()`.
    public var localCredentials: (ufrag: String, pwd: String) {
        var ufrag: UnsafeMutablePointer<gchar>?
        var pwd: UnsafeMutablePointer<gchar>?
        guard nice_agent_get_local_credentials(self.agent, self.streamID, &ufrag, &pwd) != 0, let ufrag, let pwd
        else { return ("", "") }
        defer {
            g_free(ufrag)
            g_free(pwd)
        }
        return (String(cString: ufrag), String(cString: pwd))
    }

    /// Every local candidate gathered so far, as `onLocalCandidate` gave them: what to
    /// signal again after `restart()`, or in a complete (non-trickle) description.
    public var localCandidates: [String] {
        guard !self.isClosed, let list = nice_agent_get_local_candidates(self.agent, self.streamID, 1) else {
            return []
        }
        defer { cnice_candidate_list_free(list) }
        var candidates: [String] = []
        var node: UnsafeMutablePointer<GSList>? = list
        while let current = node {
            if let candidate = current.pointee.data?.assumingMemoryBound(to: NiceCandidate.self) {
                candidates += self.advertisedForms(of: candidate)
            }
            node = current.pointee.next
        }
        return candidates
    }

    /// Starts gathering; candidates arrive through `onLocalCandidate`.
    public func gatherCandidates() throws(ICEError) {
        guard !self.isClosed else { throw .closed }
        self.update(.gathering)
        defer { self.worker.mux.refresh(self.peerContext) }
        guard nice_agent_gather_candidates(self.agent, self.streamID) != 0 else {
            throw .libnice(operation: "nice_agent_gather_candidates")
        }
    }

    /// Sets the remote ufrag and password, then adds the candidates that arrived before
    /// them.
    public func setRemoteCredentials(ufrag: String, pwd: String) throws(ICEError) {
        guard !self.isClosed else { throw .closed }
        defer { self.worker.mux.refresh(self.peerContext) }
        guard !ufrag.isEmpty, !pwd.isEmpty, !ufrag.contains("\0"), !pwd.contains("\0"),
            nice_agent_set_remote_credentials(self.agent, self.streamID, ufrag, pwd) != 0
        else { throw .invalidCredentials }
        if ufrag != self.remoteUfrag { self.stopAnsweringBindingRequests() }
        self.remoteUfrag = ufrag
        let pending = self.pendingRemoteCandidates
        self.pendingRemoteCandidates.removeAll()
        for candidate in pending where cnice_add_remote_candidate(self.agent, self.streamID, candidate) != 1 {
            // Parsed when it arrived; libnice can still refuse it (a duplicate, say).
            continue
        }
        if self.isRemoteGatheringDone {
            nice_agent_peer_candidate_gathering_done(self.agent, self.streamID)
        }
    }

    /// Adds a trickled remote candidate, in `candidate:…` or `a=candidate:…` form. Before
    /// the remote credentials are known it is checked and kept until they are.
    public func addRemoteCandidate(_ candidate: String) throws(ICEError) {
        guard !self.isClosed else { throw .closed }
        let text = candidate.hasPrefix("a=") ? candidate : "a=" + candidate
        guard text.utf8.count < 1024, !text.contains("\0"), Self.hasValidNumbers(text) else {
            throw .malformedCandidate(candidate)
        }
        // An mDNS name (RFC 8828, `<uuid>.local`) hides a browser's address, and libnice
        // cannot resolve one: the peer's own checks reveal the address as a
        // peer-reflexive candidate (RFC 8445 §7.3.1.3). A TCP candidate is of no use to an
        // agent without ICE-TCP, nor one of RTCP's own component (rtcp-mux), though
        // browsers gather both. Each is passed over, not refused.
        let fields = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard !fields[4].lowercased().hasSuffix(".local"),
            fields[2].lowercased() != "tcp" || self.configuration.usesTCP
        else {
            self.passedOverCandidates &+= 1
            return
        }
        guard cnice_candidate_parses(self.agent, self.streamID, text) == 1 else {
            throw .malformedCandidate(candidate)
        }
        guard fields[1] == "1" else {
            self.passedOverCandidates &+= 1
            return
        }
        defer { self.worker.mux.refresh(self.peerContext) }
        guard self.hasRemoteCredentials else {
            guard self.pendingRemoteCandidates.count < 64 else { throw .malformedCandidate(candidate) }
            self.pendingRemoteCandidates.append(text)
            return
        }
        // libnice adds none of a candidate it already has (a peer that repeats its
        // candidates in every section): that is no error either.
        if cnice_add_remote_candidate(self.agent, self.streamID, text) != 1 {
            self.passedOverCandidates &+= 1
        }
    }

    /// The peer sent end-of-candidates: libnice may fail the check list once it is done.
    public func remoteGatheringDone() {
        guard !self.isClosed else { return }
        self.isRemoteGatheringDone = true
        if self.hasRemoteCredentials {
            nice_agent_peer_candidate_gathering_done(self.agent, self.streamID)
            self.worker.mux.refresh(self.peerContext)
        }
    }

    /// An ICE restart (RFC 8445 §9): new local credentials; remote credentials and
    /// candidates are forgotten until the peer's new ones arrive. Media keeps flowing on
    /// the current pair until the new checks select one. Signal `localCredentials` and
    /// `localCandidates` to the peer.
    public func restart() throws(ICEError) {
        guard !self.isClosed else { throw .closed }
        defer { self.worker.mux.refresh(self.peerContext) }
        // libnice answers every check of the restart, under the new credentials.
        self.stopAnsweringBindingRequests()
        guard nice_agent_restart_stream(self.agent, self.streamID) != 0 else {
            throw .libnice(operation: "nice_agent_restart_stream")
        }
        self.remoteUfrag = nil
        self.isRemoteGatheringDone = false
        self.pendingRemoteCandidates.removeAll()
    }

    /// Sends one datagram on the selected pair; returns false when none is selected yet.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !self.isClosed, let base = bytes.baseAddress else { return false }
        let sent = nice_agent_send(
            self.agent,
            self.streamID,
            1,
            UInt32(bytes.count),
            base.assumingMemoryBound(to: gchar.self)
        )
        return sent == bytes.count
    }

    /// The selected pair, once there is one.
    public var selectedPair: SelectedPair? { self.selection()?.pair }

    /// The selected pair's UDP socket, for batched sends (`sendmmsg`, GSO); `nil` before
    /// a pair is selected, or when it is relayed or TCP (send with `send(_:)` then).
    public func selectedSocket() -> SelectedUDPSocket? {
        guard let selection = self.selection(), selection.pair.isPlainUDP,
            let socket = nice_agent_get_selected_socket(self.agent, self.streamID, 1)
        else { return nil }
        defer { cnice_object_unref(UnsafeMutableRawPointer(socket)) }
        let length =
            Int32(selection.remote.ss_family) == AF_INET6
            ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        return SelectedUDPSocket(
            descriptor: g_socket_get_fd(socket),
            destination: selection.remote,
            destinationLength: socklen_t(length)
        )
    }

    func selection() -> (pair: SelectedPair, remote: sockaddr_storage)? {
        guard !self.isClosed else { return nil }
        var isPlainUDP: Int32 = 0
        var remote = sockaddr_storage()
        var localText = [CChar](repeating: 0, count: 64)
        var remoteText = [CChar](repeating: 0, count: 64)
        var localPort: UInt32 = 0
        var remotePort: UInt32 = 0
        guard
            cnice_selected_pair(
                self.agent,
                self.streamID,
                &isPlainUDP,
                &remote,
                &localText,
                &localPort,
                &remoteText,
                &remotePort
            ) == 1
        else { return nil }
        let pair = SelectedPair(
            local: Self.endpoint(localText, localPort),
            remote: Self.endpoint(remoteText, remotePort),
            isPlainUDP: isPlainUDP != 0
        )
        return (pair, remote)
    }

    /// Raises the selected UDP socket's buffers (the kernel default of ~200 KB drops
    /// packets at video rates; measured 164 of 10,000 lost without this).
    public func tuneSelectedSocket(bufferSize: Int32 = 4 << 20) {
        guard let socket = nice_agent_get_selected_socket(self.agent, self.streamID, 1) else { return }
        defer { cnice_object_unref(UnsafeMutableRawPointer(socket)) }
        _ = cudp_set_buffer_sizes(g_socket_get_fd(socket), bufferSize)
    }

    /// Stops receiving, drops the stream and releases the agent; `onStateChange` hears
    /// `.closed` last.
    public func close() {
        guard !self.isClosed else { return }
        self.closeRTPSocket()
        self.isClosed = true
        self.silenceWatchdog?.cancel()
        self.silenceWatchdog = nil
        nice_agent_attach_recv(self.agent, self.streamID, 1, self.peerContext.context, nil, nil)
        for handler in self.signalHandlers {
            cnice_signal_disconnect(UnsafeMutableRawPointer(self.agent), gulong(handler))
        }
        self.signalHandlers.removeAll()
        nice_agent_remove_stream(self.agent, self.streamID)
        // The close's task completes on the calling thread's default context: the
        // peer's, which the worker iterates (it runs no GLib loop of its own).
        g_main_context_push_thread_default(self.peerContext.context)
        nice_agent_close_async(self.agent, nil, nil)
        g_main_context_pop_thread_default(self.peerContext.context)
        // libnice finishes closing on the agent's context: it is iterated until the agent
        // is finalized.
        self.worker.mux.retire(self.peerContext, whenFinalized: self.agent, limit: .seconds(5))
        cnice_object_unref(UnsafeMutableRawPointer(self.agent))
        self.worker.mux.refresh(self.peerContext)
        self.update(.closed)
        self.onReceive = nil
        self.onReceiveRTP = nil
        self.onForeignDatagram = nil
        self.onSilence = nil
        self.onLocalCandidate = nil
        self.onGatheringDone = nil
        self.onStateChange = nil
        self.onSelectedPairChange = nil
    }

    /// libnice's parser truncates numbers that overflow; RFC 8839 bounds them.
    static func hasValidNumbers(_ text: String) -> Bool {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8, let component = UInt8(fields[1]), component > 0, UInt32(fields[3]) != nil,
            let port = UInt16(fields[5])
        else { return false }
        return port > 0 || fields[2].lowercased() == "tcp"
    }

    static func endpoint(_ text: [CChar], _ port: UInt32) -> String {
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

extension ICEAgent.TURNServer.Transport {
    var niceRelayType: NiceRelayType {
        switch self {
        case .udp: NICE_RELAY_TYPE_TURN_UDP
        case .tcp: NICE_RELAY_TYPE_TURN_TCP
        case .tls: NICE_RELAY_TYPE_TURN_TLS
        }
    }
}
