public import Logging
public import NIOCore
public import SFU
import Synchronization

/// The Janus API over the routing core (docs/janus.md): sessions, handles, the
/// `janus.plugin.videoroom` plugin, and their events, for janus.js and for services
/// written against Janus. The transports (`JanusTransports`) hand it request texts; it
/// answers and pushes events to each session's WebSocket or long-poll queue.
///
/// Everything here is signaling state, owned by this actor; media is the core's. A
/// request that waits for the core re-checks what it found before the wait.
public actor JanusGateway {
    static let faceName = "janus"
    static let pluginName = "janus.plugin.videoroom"
    static let version = (number: 1102, string: "1.1.2")

    public let server: MediaServer
    public let configuration: JanusConfiguration
    /// The stored tokens of `token_auth` (nil: off), changed at run time by the Admin
    /// API's `add_token` and `remove_token`; read by every request's authorization.
    nonisolated let tokens: Mutex<Set<String>?>
    nonisolated let counters: SignalingCounters
    /// The process's log level, which the Admin API's `set_log_level` changes.
    nonisolated let logLevels: LogLevelControl
    /// Sessions per client address (nil: none counted, as in tests).
    nonisolated let limits: ClientLimits?
    let logger: Logger
    // No `oldValue` in these observers: nested changes still mutate in place.
    var sessions: [UInt64: JanusSession] = [:] {
        didSet { self.counters.setOpen(face: Self.faceName, kind: "sessions", count: self.sessions.count) }
    }
    var handles: [UInt64: JanusHandle] = [:] {
        didSet { self.counters.setOpen(face: Self.faceName, kind: "handles", count: self.handles.count) }
    }
    var rooms: [UInt64: VideoRoomState] = [:]
    var connections: [UInt64: Connection] = [:]
    var nextConnectionID: UInt64 = 1
    var nextPollID: UInt64 = 1
    private let roomEvents: AsyncStream<(String, RoomEvent)>
    private let roomEventSink: AsyncStream<(String, RoomEvent)>.Continuation

    /// One WebSocket: where its sessions' events are written.
    struct Connection {
        let send: AsyncStream<String>.Continuation
        /// The client's address, which its sessions count against.
        let address: SocketAddress?
        var sessions: Set<UInt64> = []
        var implicitSession: UInt64?
        /// The implicit handles of the connection, newest last.
        var implicitHandles: [UInt64] = []
    }

    /// Where a request came from: which addressing applies and where replies go.
    enum Origin {
        case webSocket(UInt64)
        /// The ids in the URL path (`/janus/<session>/<handle>`), and the client's address.
        case http(session: UInt64?, handle: UInt64?, address: SocketAddress?)
    }

    public init(
        server: MediaServer,
        configuration: JanusConfiguration = JanusConfiguration(),
        counters: SignalingCounters = SignalingCounters(),
        logLevels: LogLevelControl = LogLevelControl(.info),
        limits: ClientLimits? = nil,
        logger: Logger = Logger(label: "janus")
    ) {
        self.server = server
        self.configuration = configuration
        self.tokens = Mutex(configuration.tokens)
        self.counters = counters
        self.logLevels = logLevels
        self.limits = limits
        self.logger = logger
        for kind in ["sessions", "handles"] { counters.setOpen(face: Self.faceName, kind: kind, count: 0) }
        (self.roomEvents, self.roomEventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(65_536))
        let sink = self.roomEventSink
        server.observe { room, event in
            guard room.hasPrefix("videoroom/") else { return }
            sink.yield((room, event))
        }
    }

    /// Creates the configured rooms, then routes room events and expires idle sessions
    /// until cancelled.
    public func run() async {
        for (id, settings) in self.configuration.rooms {
            do {
                try await self.createRoom(id: id, settings: settings)
            } catch {
                self.logger.error("cannot create configured VideoRoom room \(id): \(error.reason)")
            }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await (room, event) in self.roomEvents { await self.route(room, event) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await self.expireSessions(now: .now)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stops routing events: the run loop ends.
    public nonisolated func finish() {
        self.roomEventSink.finish()
    }

    /// What the face holds: tests and operators check it for leaks.
    struct Census: Sendable, Equatable {
        var sessions: Int
        var handles: Int
        var publishers: Int
        var subscribers: Int
    }

    var census: Census {
        Census(
            sessions: self.sessions.count,
            handles: self.handles.count,
            publishers: self.rooms.values.reduce(0) { $0 + $1.feeds.count },
            subscribers: self.rooms.values.reduce(0) { $0 + $1.subscribers.count }
        )
    }

    // MARK: WebSocket connections

    /// Registers a WebSocket connection; its id addresses it from then on.
    func open(send: AsyncStream<String>.Continuation, address: SocketAddress? = nil) -> UInt64 {
        let id = self.nextConnectionID
        self.nextConnectionID += 1
        self.connections[id] = Connection(send: send, address: address)
        return id
    }

    /// The connection closed: its sessions end, or wait for a `claim` when
    /// `reclaim_session_timeout` allows.
    func close(connection id: UInt64) async {
        guard let connection = self.connections.removeValue(forKey: id) else { return }
        for sessionID in connection.sessions {
            guard let session = self.sessions[sessionID], session.connection == id else { continue }
            if session.isImplicit || self.configuration.reclaimSessionTimeout == .zero {
                await self.destroySession(sessionID)
            } else {
                session.connection = nil
                session.orphanedAt = .now
            }
        }
    }

    /// Tells every connection the server is going away and closes it.
    public func closeAll() {
        for connection in self.connections.values { connection.send.finish() }
    }

    /// Handles one request from a WebSocket; the reply goes back on it.
    func receive(_ text: String, connection: UInt64) async {
        guard let reply = await self.process(text, origin: .webSocket(connection)) else { return }
        self.connections[connection]?.send.yield(reply.text)
    }

    /// Handles one request as the HTTP transport does (`session` and `handle` from the
    /// path, the client's `address`); returns the reply.
    public func receive(
        _ text: String,
        session: UInt64?,
        handle: UInt64?,
        from address: SocketAddress? = nil
    ) async -> JSONValue {
        await self.process(text, origin: .http(session: session, handle: handle, address: address))
            ?? JanusReplies.error(
                JanusError(490, "No reply"),
                transaction: nil,
                session: nil
            )
    }

    // MARK: Requests

    func process(_ text: String, origin: Origin) async -> JSONValue? {
        let envelope: JanusEnvelope
        do {
            envelope = try JanusEnvelope(parsing: text)
        } catch {
            guard JanusEnvelope.isAboutVerb(error) else {
                return self.fail(error, transaction: JanusEnvelope.transaction(of: text), session: nil)
            }
            let session = JSONValue.parse(text)?["session_id"]?.intValue.flatMap { $0 > 0 ? UInt64($0) : nil }
            return self.fail(error, transaction: nil, session: session)
        }
        let verb = JanusReplies.verbs.contains(envelope.verb) ? envelope.verb : "unknown"
        self.counters.countRequest(face: Self.faceName, type: verb)
        var sessionID: UInt64?
        do {
            return try await self.perform(envelope, origin: origin, sessionID: &sessionID)
        } catch {
            return self.fail(error, transaction: envelope.transaction, session: sessionID)
        }
    }

    func fail(_ error: JanusError, transaction: String?, session: UInt64?) -> JSONValue {
        self.counters.countError(face: Self.faceName, code: String(error.code))
        self.logger.debug("Janus request failed: \(error.code) \(error.reason)")
        return JanusReplies.error(error, transaction: transaction, session: session)
    }

    static let rootVerbs: Set<String> = ["create", "info", "ping"]
    static let sessionVerbs: Set<String> = ["keepalive", "attach", "destroy", "claim"]
    static let handleVerbs: Set<String> = ["message", "trickle", "detach", "hangup"]

    func perform(
        _ envelope: JanusEnvelope,
        origin: Origin,
        sessionID: inout UInt64?
    ) async throws(JanusError)
        -> JSONValue?
    {
        let transaction = envelope.transaction
        var handleID: UInt64?
        switch origin {
        case .webSocket:
            sessionID = envelope.id("session_id")
            handleID = envelope.id("handle_id")
        case .http(let session, let handle, _):
            sessionID = session
            handleID = handle
        }
        if envelope.isUnaddressed, case .webSocket(let connection) = origin, self.configuration.implicitSessions,
            Self.handleVerbs.contains(envelope.verb)
        {
            // The seed-002 extension: requests without ids use the connection's own session.
            try self.authorize(envelope)
            let session = try self.implicitSession(of: connection)
            sessionID = session
            let handle = try self.implicitHandle(for: envelope, session: session, connection: connection)
            return try await self.performOnHandle(envelope, session: session, handle: handle)
        }
        guard let sessionID else {
            // A handle without its session: Janus looks for session 0.
            if handleID != nil { throw JanusError(458, "Session not found") }
            switch envelope.verb {
            case "ping": return ["janus": "pong", "transaction": .string(transaction)]
            case "info": return JanusReplies.serverInfo(transaction: transaction, configuration: self.configuration)
            case "create":
                try self.authorize(envelope)
                return try self.createSession(envelope, origin: origin)
            default: throw .invalidPath(envelope.verb)
            }
        }
        try self.authorize(envelope)
        guard let session = self.sessions[sessionID] else { throw .noSuchSession(sessionID) }
        session.lastActivity = .now
        guard let handleID else {
            switch envelope.verb {
            case "keepalive":
                return JanusReplies.ack(transaction: transaction, session: sessionID)
            case "attach":
                return try self.attach(envelope, session: session)
            case "destroy":
                await self.destroySession(sessionID)
                return JanusReplies.success(transaction: transaction, session: sessionID)
            case "claim":
                guard case .webSocket(let connection) = origin else { throw .invalidPath(envelope.verb) }
                self.claim(session, connection: connection)
                return JanusReplies.success(transaction: transaction, session: sessionID)
            default:
                throw .invalidPath(envelope.verb)
            }
        }
        guard session.handles.contains(handleID), self.handles[handleID] != nil else {
            throw .noSuchHandle(handleID, session: sessionID)
        }
        return try await self.performOnHandle(envelope, session: sessionID, handle: handleID)
    }

    func performOnHandle(
        _ envelope: JanusEnvelope,
        session: UInt64,
        handle handleID: UInt64
    ) async throws(JanusError)
        -> JSONValue?
    {
        guard let handle = self.handles[handleID] else { throw .noSuchHandle(handleID, session: session) }
        let transaction = envelope.transaction
        switch envelope.verb {
        case "message":
            return try await self.message(envelope, handle: handle)
        case "trickle":
            try await self.trickle(envelope, handle: handle)
            return JanusReplies.ack(transaction: transaction, session: session)
        case "detach":
            await self.detach(handleID, telling: true)
            return JanusReplies.success(transaction: transaction, session: session)
        case "hangup":
            await self.hangUp(handle, reason: "Janus API")
            return JanusReplies.success(transaction: transaction, session: session)
        default:
            throw .invalidPath(envelope.verb)
        }
    }

    /// `api_secret` and stored tokens: either admits a request when both are set.
    func authorize(_ envelope: JanusEnvelope) throws(JanusError) {
        try self.authorize(apiSecret: try? envelope.string("apisecret"), token: try? envelope.string("token"))
    }

    func authorize(apiSecret: String?, token: String?) throws(JanusError) {
        guard self.admits(apiSecret: apiSecret, token: token) else { throw .unauthorized }
    }

    /// Whether a request with this `apisecret` and `token` passes the face's
    /// authentication (always, when none is configured).
    public nonisolated func admits(apiSecret: String?, token: String?) -> Bool {
        // nil: token_auth is off; else whether the request's token is stored.
        let tokenAuth: Bool? = self.tokens.withLock { tokens in
            guard let tokens else { return nil }
            return token.map(tokens.contains) ?? false
        }
        guard self.configuration.apiSecret != nil || tokenAuth != nil else { return true }
        if let secret = self.configuration.apiSecret, let apiSecret,
            AdminAccess.constantTimeEqual(Array(apiSecret.utf8), Array(secret.utf8))
        {
            return true
        }
        return tokenAuth == true
    }

    // MARK: Sessions

    func createSession(_ envelope: JanusEnvelope, origin: Origin) throws(JanusError) -> JSONValue {
        guard self.sessions.count < self.configuration.maximumSessions else { throw .notAcceptingSessions }
        let id: UInt64
        if let wanted = envelope.id("id") {
            guard self.sessions[wanted] == nil else { throw .sessionInUse(wanted) }
            id = wanted
        } else {
            id = self.freshID { self.sessions[$0] == nil }
        }
        let address: SocketAddress?
        switch origin {
        case .webSocket(let connection): address = self.connections[connection]?.address
        case .http(_, _, let client): address = client
        }
        guard self.limits?.open(.session, from: address) != false else {
            throw .tooManySessions(self.limits?.limit(of: .session) ?? 0)
        }
        var connectionID: UInt64?
        if case .webSocket(let connection) = origin {
            connectionID = connection
            self.connections[connection]?.sessions.insert(id)
        }
        self.sessions[id] = JanusSession(id: id, connection: connectionID, address: address)
        return JanusReplies.success(transaction: envelope.transaction, session: nil, data: ["id": JSONValue(id)])
    }

    func attach(_ envelope: JanusEnvelope, session: JanusSession) throws(JanusError) -> JSONValue {
        guard let plugin = try envelope.string("plugin", maximumLength: 256) else { throw .missing("plugin") }
        guard plugin == Self.pluginName else { throw .noSuchPlugin(plugin) }
        let opaqueID = try envelope.string("opaque_id", maximumLength: 1024)
        let handle = try self.makeHandle(session: session, opaqueID: opaqueID)
        return JanusReplies.success(
            transaction: envelope.transaction,
            session: session.id,
            data: ["id": JSONValue(handle.id)]
        )
    }

    /// A new handle in `session`, within the handles a session and its address may hold.
    func makeHandle(session: JanusSession, opaqueID: String?) throws(JanusError) -> JanusHandle {
        guard session.handles.count < self.configuration.maximumHandlesPerSession else {
            throw JanusError(461, "Too many handles in session \(session.id)")
        }
        guard self.limits?.open(.handle, from: session.address) != false else {
            throw .tooManyHandles(self.limits?.limit(of: .handle) ?? 0)
        }
        let id = self.freshID { self.handles[$0] == nil }
        let handle = JanusHandle(id: id, session: session.id, opaqueID: opaqueID, address: session.address)
        self.handles[id] = handle
        session.handles.insert(id)
        return handle
    }

    func claim(_ session: JanusSession, connection: UInt64) {
        if let previous = session.connection { self.connections[previous]?.sessions.remove(session.id) }
        session.connection = connection
        session.orphanedAt = nil
        self.connections[connection]?.sessions.insert(session.id)
        // What queued while no transport had the session goes out now.
        let queued = session.queue
        session.queue = []
        for event in queued { self.connections[connection]?.send.yield(event.text) }
    }

    func destroySession(_ id: UInt64) async {
        guard let session = self.sessions[id] else { return }
        for handle in session.handles { await self.detach(handle, telling: false) }
        // Once only, should two destroys interleave at the detaches above.
        if self.sessions.removeValue(forKey: id) != nil, !session.isImplicit {
            self.limits?.close(.session, from: session.address)
        }
        for poll in session.polls.values { poll.resume(returning: []) }
        session.polls = [:]
        if let connection = session.connection {
            self.connections[connection]?.sessions.remove(id)
            if self.connections[connection]?.implicitSession == id {
                self.connections[connection]?.implicitSession = nil
                self.connections[connection]?.implicitHandles = []
            }
        }
    }

    func expireSessions(now: ContinuousClock.Instant) async {
        var expired: [UInt64] = []
        for session in self.sessions.values where !session.isImplicit {
            if let orphaned = session.orphanedAt, now - orphaned >= self.configuration.reclaimSessionTimeout {
                expired.append(session.id)
            } else if let timeout = self.configuration.sessionTimeout, now - session.lastActivity >= timeout,
                session.polls.isEmpty
            {
                self.deliver(["janus": "timeout", "session_id": JSONValue(session.id)], to: session.id)
                expired.append(session.id)
            }
        }
        for id in expired {
            self.logger.info("Janus session \(id) timed out")
            await self.destroySession(id)
        }
    }

    /// A long poll: the session's queued events (at most `maximum`), waiting up to the
    /// long-poll timeout for one; empty when none came.
    func poll(session id: UInt64, maximum: Int) async throws(JanusError) -> [JSONValue] {
        guard let session = self.sessions[id] else { throw .noSuchSession(id) }
        session.lastActivity = .now
        if !session.queue.isEmpty {
            let taken = Array(session.queue.prefix(max(1, maximum)))
            session.queue.removeFirst(taken.count)
            return taken
        }
        let pollID = self.nextPollID
        self.nextPollID += 1
        let timeout = self.configuration.longPollTimeout
        return await withCheckedContinuation { continuation in
            session.polls[pollID] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.endPoll(session: id, poll: pollID)
            }
        }
    }

    func endPoll(session id: UInt64, poll: UInt64) {
        guard let session = self.sessions[id] else { return }
        session.polls.removeValue(forKey: poll)?.resume(returning: [])
        session.lastActivity = .now
    }

    /// Pushes an event to a session: on its WebSocket, to a waiting long poll, or into
    /// its queue.
    func deliver(_ event: JSONValue, to sessionID: UInt64) {
        guard let session = self.sessions[sessionID] else { return }
        if let connection = session.connection, let sink = self.connections[connection]?.send {
            sink.yield(event.text)
            return
        }
        if let (pollID, waiting) = session.polls.first {
            session.polls.removeValue(forKey: pollID)
            waiting.resume(returning: [event])
            return
        }
        session.queue.append(event)
        if session.queue.count > JanusSession.queueLimit { session.queue.removeFirst() }
    }

    /// An id no one uses, safe in JavaScript (below 2^53).
    func freshID(isFree: (UInt64) -> Bool) -> UInt64 {
        while true {
            let id = UInt64.random(in: 1...UInt64(JSONValue.maximumExactInteger))
            if isFree(id) { return id }
        }
    }

    // MARK: The seed-002 extension

    func implicitSession(of connection: UInt64) throws(JanusError) -> UInt64 {
        guard self.connections[connection] != nil else { throw JanusError(450, "The WebSocket is closed") }
        if let existing = self.connections[connection]?.implicitSession, self.sessions[existing] != nil {
            return existing
        }
        let id = self.freshID { self.sessions[$0] == nil }
        // Its address counts its handles; the connection stands for the session itself.
        let address = self.connections[connection]?.address
        self.sessions[id] = JanusSession(id: id, connection: connection, address: address, isImplicit: true)
        self.connections[connection]?.sessions.insert(id)
        self.connections[connection]?.implicitSession = id
        return id
    }

    /// The handle an id-less request means (docs/janus.md): a new handle for a `join`; else the newest handle whose state the request
    /// fits (a publisher that has not published for an offer, a subscriber waiting for
    /// an answer, the feed named by `room` + `id`); else the newest handle.
    func implicitHandle(
        for envelope: JanusEnvelope,
        session sessionID: UInt64,
        connection: UInt64
    ) throws(JanusError) -> UInt64 {
        guard let session = self.sessions[sessionID] else { throw .noSuchSession(sessionID) }
        let body = envelope.fields["body"]?.objectValue ?? [:]
        let request = body["request"]?.stringValue
        let known = (self.connections[connection]?.implicitHandles ?? []).reversed().compactMap { self.handles[$0] }
        if envelope.verb == "message", request == "join" || request == "joinandconfigure" || known.isEmpty {
            let handle = try self.makeHandle(session: session, opaqueID: nil)
            self.connections[connection]?.implicitHandles.append(handle.id)
            return handle.id
        }
        if let room = body["room"]?.intValue, let feed = body["id"]?.intValue,
            let match = known.first(where: {
                if case .publisher(UInt64(room), UInt64(feed)) = $0.role { return true } else { return false }
            })
        {
            return match.id
        }
        let jsepType = envelope.fields["jsep"]?["type"]?.stringValue
        let fitting = known.first { handle in
            switch (handle.role, jsepType) {
            case (.publisher(let room, let feed), "offer"?):
                return self.rooms[room]?.feeds[feed]?.tracks.isEmpty ?? false
            case (.subscriber(let room), "answer"?):
                return self.rooms[room]?.subscribers[handle.id]?.awaitingAnswer ?? false
            case (_, nil):
                return true
            default:
                return false
            }
        }
        return (fitting ?? known[0]).id
    }
}
