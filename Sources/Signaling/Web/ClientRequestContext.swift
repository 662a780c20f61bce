public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore
import Synchronization

/// The request context of every listener: Hummingbird's, with the client's address (for
/// `ClientLimits`) and what a WebSocket upgrade needs.
public struct ClientRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let webSocketSlot: WebSocketSlot<Self>

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.webSocketSlot = WebSocketSlot(channel: source.channel)
    }

    /// Hummingbird's WebSocket router keeps the upgraded connection's handler, together
    /// with this context, in the reference this returns, which this context holds: a
    /// cycle that nothing breaks, so every WebSocket connection's context (its logger, its
    /// address, its locks: about 700 bytes) outlived it (the soak's memory growth,
    /// docs/decisions.md). The slot lets go of the reference when the connection closes.
    public var webSocket: WebSocketHandlerReference<Self> { self.webSocketSlot.reference }
}

/// The WebSocket handler reference of one connection's contexts, given up when the
/// connection closes. Only a request that asks for the reference (a WebSocket upgrade)
/// watches the connection; plain HTTP requests cost nothing more.
final class WebSocketSlot<Context: WebSocketRequestContext>: Sendable {
    private struct State {
        var reference: WebSocketHandlerReference<Context>? = nil
        var closed = false
    }

    private let state = Mutex(State())
    private let channel: any Channel

    init(channel: any Channel) {
        self.channel = channel
    }

    var reference: WebSocketHandlerReference<Context> {
        let (reference, watch) = self.state.withLock { state in
            if let reference = state.reference { return (reference, false) }
            let reference = WebSocketHandlerReference<Context>()
            // After the close, a fresh reference each time: nothing is kept.
            if state.closed { return (reference, false) }
            state.reference = reference
            return (reference, true)
        }
        if watch {
            self.channel.closeFuture.whenComplete { _ in
                self.state.withLock { state in
                    state.reference = nil
                    state.closed = true
                }
            }
        }
        return reference
    }
}
