import Signaling
import Synchronization

/// The Janus API over one WebSocket (subprotocol `janus-protocol`), as VideoRoom clients
/// use it: a handle per peer connection, in sessions of at most `handlesPerSession`
/// (a browser holds a session of a few handles; servers may bound handles per session,
/// SwiftSFU's Janus face at 1,024). Works against Janus itself and against SwiftSFU's
/// Janus face, which is what makes the comparison fair.
actor JanusSignaling {
    typealias Failure = JSONWebSocket.Failure

    /// Server events that are not replies (`trickle`, `webrtcup`, `hangup`, …), by handle.
    final class Handlers: Sendable {
        let byHandle = Mutex<[UInt64: @Sendable (JSONValue) -> Void]>([:])
    }

    private let socket = JSONWebSocket(
        correlation: "transaction",
        isReply: { $0["janus"]?.stringValue != "ack" },
        isError: { $0["janus"]?.stringValue == "error" }
    )
    private let handlers = Handlers()
    static let handlesPerSession = 256
    /// Sessions in creation order; the last takes new handles.
    private var sessions: [UInt64] = []
    private var handlesInLastSession = 0
    /// The session of each handle.
    private var sessionOfHandle: [UInt64: UInt64] = [:]
    private var keepalive: Task<Void, Never>?

    /// Connects and creates the first session.
    func open(url: String) async throws {
        let handlers = self.handlers
        try await self.socket.open(url: url, subprotocol: "janus-protocol") { event in
            guard let sender = event["sender"]?.doubleValue,
                let handler = handlers.byHandle.withLock({ $0[UInt64(sender)] })
            else { return }
            handler(event)
        }
        try await self.createSession()
        self.keepalive = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(20))
                await self?.sendKeepalives()
            }
        }
    }

    private func createSession() async throws {
        let created = try await self.socket.request(["janus": "create"])
        guard let id = created["data"]?["id"]?.doubleValue else { throw Failure.refused(created.text) }
        self.sessions.append(UInt64(id))
        self.handlesInLastSession = 0
    }

    /// Keepalives are answered with an `ack`, which is no reply here: sent with a
    /// transaction of their own (the API requires one), not waited for.
    private func sendKeepalives() async {
        for session in self.sessions {
            try? await self.socket.send([
                "janus": "keepalive", "session_id": .number(Double(session)), "transaction": "keepalive",
            ])
        }
    }

    func close() async {
        self.keepalive?.cancel()
        for session in self.sessions {
            _ = try? await self.socket.request(["janus": "destroy", "session_id": .number(Double(session))])
        }
        await self.socket.close()
    }

    /// A new VideoRoom handle; `events` gets what the server says on it unasked.
    func attach(events: @escaping @Sendable (JSONValue) -> Void) async throws -> UInt64 {
        if self.handlesInLastSession >= Self.handlesPerSession { try await self.createSession() }
        guard let session = self.sessions.last else { throw Failure.refused("no session is open") }
        self.handlesInLastSession += 1
        let reply = try await self.socket.request([
            "janus": "attach", "session_id": .number(Double(session)), "plugin": "janus.plugin.videoroom",
        ])
        guard let id = reply["data"]?["id"]?.doubleValue else { throw Failure.refused(reply.text) }
        self.sessionOfHandle[UInt64(id)] = session
        self.handlers.byHandle.withLock { $0[UInt64(id)] = events }
        return UInt64(id)
    }

    /// A VideoRoom request on `handle`: the `success` of a synchronous one or the `event`
    /// of an asynchronous one, with its `jsep` if any. A VideoRoom error throws.
    func message(
        _ handle: UInt64,
        _ body: JSONValue,
        jsep: JSONValue? = nil
    ) async throws -> (
        data: JSONValue, jsep: JSONValue?
    ) {
        var request: [String: JSONValue] = [
            "janus": "message", "session_id": .number(Double(self.sessionOfHandle[handle] ?? 0)),
            "handle_id": .number(Double(handle)),
            "body": body,
        ]
        if let jsep { request["jsep"] = jsep }
        let reply = try await self.socket.request(request)
        guard let data = reply["plugindata"]?["data"], data["error_code"] == nil else {
            throw Failure.refused(reply.text)
        }
        return (data, reply["jsep"])
    }
}
