import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Signaling

/// The Janus API over one WebSocket (subprotocol `janus-protocol`), as a VideoRoom
/// client uses it: one session, a handle per peer connection. Works against Janus
/// itself and against SwiftSFU's Janus face, which is what makes the comparison fair.
actor JanusSignaling {
    enum Failure: Error, CustomStringConvertible {
        case closed
        case timedOut(String)
        case refused(String)

        var description: String {
            switch self {
            case .closed: "the WebSocket closed"
            case .timedOut(let what): "no reply to \(what) in time"
            case .refused(let reply): "refused: \(reply)"
            }
        }
    }

    private var outbound: WebSocketOutboundWriter?
    private var opened: CheckedContinuation<Void, any Error>?
    private var replies: [String: CheckedContinuation<JSONValue, any Error>] = [:]
    private var nextTransaction = 0
    private var session: UInt64 = 0
    private var isClosed = false
    private var connection: Task<Void, Never>?
    private var keepalive: Task<Void, Never>?
    /// Server events that are not replies (`trickle`, `webrtcup`, `hangup`, …), by handle.
    private var eventHandlers: [UInt64: @Sendable (JSONValue) -> Void] = [:]
    let timeout: Duration

    init(timeout: Duration = .seconds(60)) {
        self.timeout = timeout
    }

    /// Connects and creates the session.
    func open(url: String) async throws {
        var headers = HTTPFields()
        headers[HTTPField.Name("Sec-WebSocket-Protocol")!] = "janus-protocol"
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 22, additionalHeaders: headers)
        var logger = Logger(label: "sfu-load.janus")
        logger.logLevel = .warning
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.opened = continuation
            self.connection = Task {
                do {
                    try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) {
                        inbound,
                        outbound,
                        _ in
                        await self.didOpen(outbound)
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case .text(let text) = message { await self.didReceive(text) }
                        }
                    }
                    self.didClose(Failure.closed)
                } catch {
                    self.didClose(error)
                }
            }
        }
        let created = try await self.request(["janus": "create"])
        guard let id = created["data"]?["id"]?.doubleValue else { throw Failure.refused(created.text) }
        self.session = UInt64(id)
        self.keepalive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(20))
                try? await self.send(["janus": "keepalive", "session_id": .number(Double(self.session))])
            }
        }
    }

    func close() async {
        self.keepalive?.cancel()
        if !self.isClosed, self.session != 0 {
            _ = try? await self.request(["janus": "destroy", "session_id": .number(Double(self.session))])
        }
        try? await self.outbound?.close(.normalClosure, reason: nil)
        self.connection?.cancel()
    }

    /// A new VideoRoom handle; `events` gets what the server says on it unasked.
    func attach(events: @escaping @Sendable (JSONValue) -> Void) async throws -> UInt64 {
        let reply = try await self.request([
            "janus": "attach", "session_id": .number(Double(self.session)), "plugin": "janus.plugin.videoroom",
        ])
        guard let id = reply["data"]?["id"]?.doubleValue else { throw Failure.refused(reply.text) }
        self.eventHandlers[UInt64(id)] = events
        return UInt64(id)
    }

    func detach(_ handle: UInt64) async {
        self.eventHandlers[handle] = nil
        _ = try? await self.request([
            "janus": "detach", "session_id": .number(Double(self.session)), "handle_id": .number(Double(handle)),
        ])
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
        let reply = try await self.request(.object(request))
        guard let data = reply["plugindata"]?["data"], data["error_code"] == nil else {
            throw Failure.refused(reply.text)
        }
        return (data, reply["jsep"])
    }

    func trickle(_ handle: UInt64, candidate: String, mid: String) async throws {
        let body: JSONValue =
            candidate.isEmpty
            ? ["completed": true] : ["candidate": .string(candidate), "sdpMid": .string(mid), "sdpMLineIndex": 0]
        try await self.send([
            "janus": "trickle", "session_id": .number(Double(self.session)), "handle_id": .number(Double(handle)),
            "candidate": body, "transaction": .string(self.newTransaction()),
        ])
    }

    // MARK: - Transactions

    private func newTransaction() -> String {
        self.nextTransaction += 1
        return "t\(self.nextTransaction)"
    }

    /// Sends `request` with a new transaction and waits for its `success`, `error` or
    /// `event` (an `ack` is only a receipt).
    private func request(_ request: JSONValue) async throws -> JSONValue {
        guard case .object(var fields) = request else { throw Failure.refused("not an object") }
        let transaction = self.newTransaction()
        fields["transaction"] = .string(transaction)
        let timeout = self.timeout
        let what = request["janus"]?.stringValue ?? "?"
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.fail(transaction, with: Failure.timedOut(what))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            self.replies[transaction] = continuation
            Task {
                do { try await self.send(.object(fields)) } catch { self.fail(transaction, with: error) }
            }
        }
    }

    private func fail(_ transaction: String, with error: any Error) {
        self.replies.removeValue(forKey: transaction)?.resume(throwing: error)
    }

    private func send(_ message: JSONValue) async throws {
        guard let outbound = self.outbound, !self.isClosed else { throw Failure.closed }
        try await outbound.write(.text(message.text))
    }

    private func didOpen(_ outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
        self.opened?.resume()
        self.opened = nil
    }

    private func didClose(_ error: any Error) {
        self.isClosed = true
        self.opened?.resume(throwing: error)
        self.opened = nil
        for (_, continuation) in self.replies { continuation.resume(throwing: Failure.closed) }
        self.replies.removeAll()
    }

    private func didReceive(_ text: String) {
        guard let message = JSONValue.parse(text), let kind = message["janus"]?.stringValue else { return }
        if let transaction = message["transaction"]?.stringValue, kind != "ack",
            let continuation = self.replies.removeValue(forKey: transaction)
        {
            if kind == "error" {
                continuation.resume(throwing: Failure.refused(text))
            } else {
                continuation.resume(returning: message)
            }
            return
        }
        if let sender = message["sender"]?.doubleValue, let handler = self.eventHandlers[UInt64(sender)] {
            handler(message)
        }
    }
}
