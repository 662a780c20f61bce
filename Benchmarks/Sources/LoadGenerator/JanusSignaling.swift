import Signaling
import Synchronization

/// The Janus API over one WebSocket (subprotocol `janus-protocol`), as a VideoRoom
/// client uses it: one session, a handle per peer connection. Works against Janus
/// itself and against SwiftSFU's Janus face, which is what makes the comparison fair.
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
    private var session: UInt64 = 0
    private var keepalive: Task<Void, Never>?

    /// Connects and creates the session.
    func open(url: String) async throws {
        let handlers = self.handlers
        try await self.socket.open(url: url, subprotocol: "janus-protocol") { event in
            guard let sender = event["sender"]?.doubleValue,
                let handler = handlers.byHandle.withLock({ $0[UInt64(sender)] })
            else { return }
            handler(event)
        }
        let created = try await self.socket.request(["janus": "create"])
        guard let id = created["data"]?["id"]?.doubleValue else { throw Failure.refused(created.text) }
        self.session = UInt64(id)
        let socket = self.socket
        let session = JSONValue.number(id)
        self.keepalive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(20))
                try? await socket.send(["janus": "keepalive", "session_id": session])
            }
        }
    }

    func close() async {
        self.keepalive?.cancel()
        if self.session != 0 {
            _ = try? await self.socket.request(["janus": "destroy", "session_id": .number(Double(self.session))])
        }
        await self.socket.close()
    }

    /// A new VideoRoom handle; `events` gets what the server says on it unasked.
    func attach(events: @escaping @Sendable (JSONValue) -> Void) async throws -> UInt64 {
        let reply = try await self.socket.request([
            "janus": "attach", "session_id": .number(Double(self.session)), "plugin": "janus.plugin.videoroom",
        ])
        guard let id = reply["data"]?["id"]?.doubleValue else { throw Failure.refused(reply.text) }
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
            "janus": "message", "session_id": .number(Double(self.session)), "handle_id": .number(Double(handle)),
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
