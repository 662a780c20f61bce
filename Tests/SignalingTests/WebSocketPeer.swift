import Foundation
import Hummingbird
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Signaling
import Synchronization
import TestSupport

/// One WebSocket client of a face: what it sends goes out in order, what it receives
/// waits in a stream until the test reads it.
actor WebSocketPeer {
    enum Frame: Sendable {
        case text(String)
        case binary([UInt8])
    }

    /// What the connection received and no call has claimed yet, oldest first.
    final class Inbox: Sendable {
        let messages = Mutex<[JSONValue]>([])
        let isClosed = Atomic<Bool>(false)
    }

    let outgoing: AsyncStream<Frame>.Continuation
    let inbox = Inbox()
    var nextID = 1

    init(port: Int, path: String = "/ws") {
        let (outStream, outgoing) = AsyncStream<Frame>.makeStream()
        self.outgoing = outgoing
        let inbox = self.inbox
        Task {
            _ = try? await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)\(path)",
                configuration: .init(maxFrameSize: 1 << 20),
                logger: Logger(label: "peer")
            ) { inbound, outbound, _ in
                let writer = Task {
                    for await frame in outStream {
                        switch frame {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message, let value = JSONValue.parse(text) {
                        inbox.messages.withLock { $0.append(value) }
                    }
                }
                writer.cancel()
            }
            inbox.isClosed.store(true, ordering: .releasing)
        }
    }

    func send(_ text: String) { self.outgoing.yield(.text(text)) }
    func sendBinary(_ bytes: [UInt8]) { self.outgoing.yield(.binary(bytes)) }

    /// Sends a native request with a fresh id and returns the reply to it.
    func request(_ fields: [String: JSONValue]) async -> JSONValue? {
        let id = self.nextID
        self.nextID += 1
        var message = fields
        message["id"] = JSONValue(id)
        self.send(JSONValue.object(message).text)
        return await self.next { $0["id"]?.intValue == id }
    }

    /// The oldest message that matches, waiting up to 30 s for it (tests run side by side
    /// on a loaded machine); those that do not match stay for later calls. `nil` when none
    /// came or the connection closed.
    func next(where matches: (JSONValue) -> Bool) async -> JSONValue? {
        var found: JSONValue?
        _ = await Polling.eventually(limit: .seconds(30), every: .milliseconds(5)) {
            found = self.inbox.messages.withLock { messages in
                messages.firstIndex(where: matches).map { messages.remove(at: $0) }
            }
            return found != nil || self.inbox.isClosed.load(ordering: .acquiring)
        }
        return found
    }

    func close() { self.outgoing.finish() }

    /// Runs `body` with the port of a listener on 127.0.0.1 that has the routes `routes`
    /// adds, and stops it after.
    static func withListener(
        maximumFrameSize: Int,
        routes: (Router<BasicWebSocketRequestContext>) -> Void,
        body: @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        routes(router)
        let (ports, bound) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(ws: .init(maxFrameSize: maximumFrameSize))
            ),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in bound.yield(channel.localAddress?.port ?? 0) }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var listening = ports.makeAsyncIterator()
            let port = await listening.next() ?? 0
            try await body(port)
            group.cancelAll()
        }
    }
}
