import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Signaling

/// JSON messages over one WebSocket, with request/reply matching on one correlation
/// field (`transaction` for the Janus API, `id` for the native protocol). What is not a
/// reply goes to `events`.
actor JSONWebSocket {
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

    let correlation: String
    let timeout: Duration
    /// Whether a message with a pending correlation value is its final reply (the Janus
    /// API's `ack` is only a receipt).
    let isReply: @Sendable (JSONValue) -> Bool
    /// Whether a reply is a refusal.
    let isError: @Sendable (JSONValue) -> Bool
    private var events: @Sendable (JSONValue) -> Void = { _ in }
    private var outbound: WebSocketOutboundWriter?
    private var opened: CheckedContinuation<Void, any Error>?
    private var replies: [String: CheckedContinuation<JSONValue, any Error>] = [:]
    private var next = 0
    private var isClosed = false
    private var connection: Task<Void, Never>?

    init(
        correlation: String,
        timeout: Duration = .seconds(60),
        isReply: @escaping @Sendable (JSONValue) -> Bool,
        isError: @escaping @Sendable (JSONValue) -> Bool
    ) {
        self.correlation = correlation
        self.timeout = timeout
        self.isReply = isReply
        self.isError = isError
    }

    func open(url: String, subprotocol: String?, events: @escaping @Sendable (JSONValue) -> Void) async throws {
        self.events = events
        var headers = HTTPFields()
        if let subprotocol { headers[HTTPField.Name("Sec-WebSocket-Protocol")!] = subprotocol }
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 22, additionalHeaders: headers)
        var logger = Logger(label: "sfu-load")
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
    }

    func close() async {
        try? await self.outbound?.close(.normalClosure, reason: nil)
        self.connection?.cancel()
    }

    /// Sends `fields` with a new correlation value and waits for the reply.
    func request(_ fields: [String: JSONValue]) async throws -> JSONValue {
        self.next += 1
        let key = "t\(self.next)"
        var fields = fields
        fields[self.correlation] = .string(key)
        let timeout = self.timeout
        let what = (fields["janus"] ?? fields["type"])?.stringValue ?? "?"
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.fail(key, with: Failure.timedOut(what))
        }
        defer { timer.cancel() }
        let message = JSONValue.object(fields)
        return try await withCheckedThrowingContinuation { continuation in
            self.replies[key] = continuation
            Task {
                do { try await self.send(message) } catch { self.fail(key, with: error) }
            }
        }
    }

    /// Sends `message` as it is, expecting nothing back.
    func send(_ message: JSONValue) async throws {
        guard let outbound = self.outbound, !self.isClosed else { throw Failure.closed }
        try await outbound.write(.text(message.text))
    }

    private func fail(_ key: String, with error: any Error) {
        self.replies.removeValue(forKey: key)?.resume(throwing: error)
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
        guard let message = JSONValue.parse(text) else { return }
        if let key = message[self.correlation]?.stringValue, self.isReply(message),
            let continuation = self.replies.removeValue(forKey: key)
        {
            if self.isError(message) {
                continuation.resume(throwing: Failure.refused(text))
            } else {
                continuation.resume(returning: message)
            }
            return
        }
        self.events(message)
    }
}
