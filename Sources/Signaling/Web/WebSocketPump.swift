public import HummingbirdWebSocket
public import Logging
import NIOWebSocket

/// Runs one signaling WebSocket: a reader that hands each text message to the face, in
/// order, and a writer that drains the connection's outbox. Shared by the faces.
enum WebSocketPump {
    /// How long a client has to answer the server's close frame.
    static let closeHandshakeTimeout: Duration = .seconds(2)

    enum Inbound {
        case text(String)
        /// A binary frame: the faces speak JSON text only.
        case binary
        /// A message over the face's limit; the connection is closed after it.
        case oversized
        /// A message beyond the client address's request rate (`ClientLimits`), not read.
        case rateLimited
    }

    /// Refused messages in a row after which the connection is closed: a client that
    /// does not slow down when told.
    static let refusalsBeforeClosing = 100

    /// Serves the connection until either side closes it, counted as open for `face`
    /// meanwhile. `outbox` is what `send` feeds; finishing `send` closes the connection
    /// from the server's side (the client then has `closeHandshakeTimeout` to answer).
    /// Frames up to twice `maximumMessageSize` are read, so that an oversized message
    /// reaches the face as `.oversized` and is answered. Each message needs `admit()`
    /// (the client address's request rate); one refused reaches the face as
    /// `.rateLimited`.
    static func run(
        face: String,
        counters: SignalingCounters,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        outbox: AsyncStream<String>,
        send: AsyncStream<String>.Continuation,
        maximumMessageSize: Int,
        logger: Logger,
        admit: @escaping @Sendable () -> Bool = { true },
        receive: @escaping @Sendable (Inbound) async -> Void,
        readerEnded: @escaping @Sendable () async -> Void
    ) async {
        counters.connectionOpened(face: face)
        defer { counters.connectionClosed(face: face) }
        let maximumFrameSize = 2 * maximumMessageSize
        enum Ended { case reader, writer, closeHandshakeTimeout }
        await withTaskGroup(of: Ended.self) { group in
            group.addTask {
                for await text in outbox {
                    do { try await outbound.write(.text(text)) } catch { break }
                }
                try? await outbound.close(.goingAway, reason: nil)
                return .writer
            }
            group.addTask {
                do {
                    var refusals = 0
                    for try await message in inbound.messages(maxSize: maximumFrameSize) {
                        guard admit() else {
                            await receive(.rateLimited)
                            refusals += 1
                            if refusals >= Self.refusalsBeforeClosing { break }
                            continue
                        }
                        refusals = 0
                        guard case .text(let text) = message else {
                            await receive(.binary)
                            continue
                        }
                        guard text.utf8.count <= maximumMessageSize else {
                            await receive(.oversized)
                            break
                        }
                        await receive(.text(text))
                    }
                } catch {
                    logger.debug("signaling connection ended: \(error)")
                }
                await readerEnded()
                return .reader
            }
            switch await group.next() {
            case .reader?:
                // The client closed (or broke the rules): what is queued is written, then
                // the close frame.
                send.finish()
                _ = await group.next()
            default:
                // The server closed (shutdown): the client has a moment to answer the
                // close frame, and is not waited for beyond it.
                group.addTask {
                    try? await Task.sleep(for: Self.closeHandshakeTimeout)
                    return .closeHandshakeTimeout
                }
                _ = await group.next()
            }
            group.cancelAll()
        }
        send.finish()
    }
}
