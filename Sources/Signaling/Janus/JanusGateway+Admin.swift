public import Hummingbird
public import HummingbirdWebSocket
import Logging
import SFU
import Synchronization

/// The Janus Admin API a deployment uses, over HTTP and WebSocket on listeners of their
/// own (Janus's `:7088/admin` and `:7188`, subprotocol `janus-admin-protocol`), only
/// with an `admin_secret`: `ping`, `info`, `list_sessions`, `list_handles`,
/// `handle_info`, `destroy_session`, `get_status`, `set_log_level`, and the stored tokens of
/// `token_auth` at run time (`add_token`, `remove_token`, `list_tokens`).
extension JanusGateway {
    static let adminRequests: Set<String> = [
        "ping", "info", "get_status", "list_sessions", "list_handles", "handle_info", "destroy_session",
        "set_log_level", "add_token", "remove_token", "list_tokens", "drain", "stop_draining",
    ]
    static let adminProtocolName = "janus-admin-protocol"

    /// One Admin API request (`session`, `handle`: the ids in the URL path); its reply.
    func admin(
        _ text: String,
        session pathSession: UInt64? = nil,
        handle pathHandle: UInt64? = nil
    ) async
        -> JSONValue
    {
        let envelope: JanusEnvelope
        do {
            envelope = try JanusEnvelope(parsing: text)
        } catch {
            return self.fail(error, transaction: JanusEnvelope.transaction(of: text), session: nil)
        }
        let transaction = envelope.transaction
        do throws(JanusError) {
            // Never open: without a configured secret there is no Admin API at all.
            guard let secret = self.configuration.adminSecret, let given = try envelope.string("admin_secret"),
                AdminAccess.constantTimeEqual(Array(given.utf8), Array(secret.utf8))
            else {
                throw .unauthorized
            }
            guard Self.adminRequests.contains(envelope.verb) else { throw .unknownRequest(envelope.verb) }
            self.counters.countRequest(face: Self.faceName, type: "admin_" + envelope.verb)
            let sessionID = pathSession ?? envelope.id("session_id")
            let handleID = pathHandle ?? envelope.id("handle_id")
            switch envelope.verb {
            case "ping":
                return ["janus": "pong", "transaction": .string(transaction)]
            case "info":
                return JanusReplies.serverInfo(transaction: transaction, configuration: self.configuration)
            case "list_sessions":
                return Self.adminSuccess(
                    transaction,
                    ["sessions": .array(self.sessions.keys.sorted().map(JSONValue.init))]
                )
            case "list_handles":
                let session = try self.adminSession(sessionID)
                return Self.adminSuccess(
                    transaction,
                    [
                        "session_id": JSONValue(session.id),
                        "handles": .array(session.handles.sorted().map(JSONValue.init)),
                    ]
                )
            case "handle_info":
                let session = try self.adminSession(sessionID)
                guard let handleID, session.handles.contains(handleID), let handle = self.handles[handleID] else {
                    throw .noSuchHandle(handleID ?? 0, session: session.id)
                }
                return Self.adminSuccess(
                    transaction,
                    [
                        "session_id": JSONValue(session.id), "handle_id": JSONValue(handle.id),
                        "info": self.info(of: handle, in: session),
                    ]
                )
            case "get_status":
                let timeout = self.configuration.sessionTimeout.map { Int($0.components.seconds) } ?? 0
                return Self.adminSuccess(
                    transaction,
                    [
                        "status": [
                            "token_auth": .bool(self.tokens.withLock { $0 != nil }),
                            "session_timeout": JSONValue(timeout),
                            "log_level": JSONValue(LogLevelControl.janusLevel(of: self.logLevels.level)),
                            "draining": .bool(self.server.isDraining),
                        ]
                    ]
                )
            case "set_log_level":
                guard let value = envelope.fields["level"], !value.isNull else { throw .missing("level") }
                guard let level = value.intValue, (0...7).contains(level) else {
                    throw .invalidType("level", "an integer from 0 to 7")
                }
                self.logLevels.level = LogLevelControl.level(janus: level)
                self.logger.notice("log level set to \(self.logLevels.level) (Janus level \(level))")
                return Self.adminSuccess(transaction, ["level": JSONValue(level)])
            case "destroy_session":
                let session = try self.adminSession(sessionID)
                await self.destroySession(session.id)
                return JanusReplies.success(transaction: transaction, session: nil)
            case "drain", "stop_draining":
                // SwiftSFU's own: new rooms and participants are refused on every face and
                // `/health` says `draining`, so that a load balancer sends new calls
                // elsewhere, while live calls go on (SIGTERM then ends the process).
                if envelope.verb == "drain" { self.server.startDraining() } else { self.server.stopDraining() }
                let participants = await self.server.statistics().participants
                return Self.adminSuccess(
                    transaction,
                    ["draining": .bool(self.server.isDraining), "participants": JSONValue(participants)]
                )
            case "list_tokens":
                let tokens = try self.storedTokens()
                return JanusReplies.success(
                    transaction: transaction,
                    session: nil,
                    data: [
                        "tokens": .array(
                            tokens.sorted().map {
                                ["token": .string($0), "allowed_plugins": [.string(Self.pluginName)]]
                            }
                        )
                    ]
                )
            default:
                // add_token, remove_token
                _ = try self.storedTokens()
                guard let token = try envelope.string("token", maximumLength: 1024), !token.isEmpty else {
                    throw .missing("token")
                }
                if envelope.verb == "add_token" {
                    self.tokens.withLock { _ = $0?.insert(token) }
                    return JanusReplies.success(
                        transaction: transaction,
                        session: nil,
                        data: ["plugins": [.string(Self.pluginName)]]
                    )
                }
                guard self.tokens.withLock({ $0?.remove(token) }) != nil else {
                    throw JanusError(490, "Token '\(token.prefix(64))' not found")
                }
                return JanusReplies.success(transaction: transaction, session: nil)
            }
        } catch {
            return self.fail(error, transaction: transaction, session: nil)
        }
    }

    static func adminSuccess(_ transaction: String, _ fields: [String: JSONValue]) -> JSONValue {
        .object(fields.merging(["janus": "success", "transaction": .string(transaction)]) { _, new in new })
    }

    func adminSession(_ id: UInt64?) throws(JanusError) -> JanusSession {
        guard let id else { throw .missing("session_id") }
        guard let session = self.sessions[id] else { throw .noSuchSession(id) }
        return session
    }

    /// The stored tokens; `token_auth` must be on (tokens configured, even none).
    func storedTokens() throws(JanusError) -> Set<String> {
        guard let tokens = self.tokens.withLock({ $0 }) else {
            throw JanusError(490, "Stored-Token based authentication disabled")
        }
        return tokens
    }

    /// What `handle_info` says of a handle: its plugin, role, room and peer connection.
    func info(of handle: JanusHandle, in session: JanusSession) -> JSONValue {
        var specific: [String: JSONValue] = [:]
        switch handle.role {
        case .publisher(let room, let feed):
            specific = ["type": "publisher", "room": JSONValue(room), "id": JSONValue(feed)]
            if let state = self.rooms[room]?.feeds[feed] {
                specific["display"] = JSONValue(state.display)
                specific["streams"] = state.streams
                specific["recording"] = .bool(state.isRecorded)
            }
        case .subscriber(let room):
            specific = ["type": "subscriber", "room": JSONValue(room)]
            if let subscription = self.rooms[room]?.subscribers[handle.id] {
                specific["streams"] = .array(
                    subscription.streams.map { ["mid": .string($0.mid), "feed": .string($0.track.id)] }
                )
                specific["paused"] = .bool(subscription.isPaused)
            }
        case .none:
            specific = ["type": "none"]
        }
        var info: [String: JSONValue] = [
            "session_id": JSONValue(session.id), "handle_id": JSONValue(handle.id),
            "plugin": .string(Self.pluginName), "plugin_specific": .object(specific),
            "webrtc": ["sent_description": .bool(handle.sentDescription)],
        ]
        if let opaque = handle.opaqueID { info["opaque_id"] = .string(opaque) }
        if let participant = handle.participantID { info["participant"] = .string(participant) }
        return .object(info)
    }

    /// The Admin API over WebSocket at `/` and `/admin`: each text message one request,
    /// its ids in the body (`session_id`, `handle_id`), answered on the connection.
    public nonisolated func addAdminWebSocketRoutes<Context: WebSocketRequestContext>(to router: Router<Context>) {
        let shouldUpgrade = Self.upgrade(speaking: Self.adminProtocolName, as: Context.self)
        for path in ["/", "/admin"] {
            router.ws(RouterPath(path), shouldUpgrade: shouldUpgrade) { inbound, outbound, context in
                await self.serveAdmin(inbound: inbound, outbound: outbound, logger: context.logger)
            }
        }
    }

    nonisolated func serveAdmin(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        logger: Logger
    ) async {
        let (outbox, send) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(Self.outboxLimit))
        await self.pump(
            inbound: inbound,
            outbound: outbound,
            outbox: outbox,
            send: send,
            logger: logger,
            request: { text in send.yield(await self.admin(text).text) },
            readerEnded: {}
        )
    }

    /// `POST /admin[/<session>[/<handle>]]`, on the admin listener.
    public nonisolated func addAdminRoutes<Context: RequestContext>(to router: Router<Context>) {
        for path in ["/admin", "/admin/:session", "/admin/:session/:handle"] {
            router.post(RouterPath(path)) { request, context in
                var request = request
                guard let body = try? await request.collectBody(upTo: Self.maximumMessageSize) else {
                    return Self.json(
                        JanusReplies.error(
                            JanusError(450, "Requests are at most 1 MiB"),
                            transaction: nil,
                            session: nil
                        )
                    )
                }
                let session = Self.id(context.parameters.get("session"))
                let handle = Self.id(context.parameters.get("handle"))
                return Self.json(await self.admin(String(buffer: body), session: session, handle: handle))
            }
        }
    }
}
