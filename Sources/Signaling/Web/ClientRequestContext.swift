public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore

/// The request context of every listener: Hummingbird's, with the client's address (for
/// `ClientLimits`) and what a WebSocket upgrade needs.
public struct ClientRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }
}
