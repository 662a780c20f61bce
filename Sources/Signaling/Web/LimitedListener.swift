public import Hummingbird
public import HummingbirdCore
public import HummingbirdWebSocket
import Logging
import NIOCore

/// Listeners whose connections `ClientLimits` counts: a connection from an address that
/// holds its limit already is answered `429 Too Many Requests` (JSON, `Connection:
/// close`) and closed, before any HTTP parsing; the others are served as usual. Every
/// connection must send its first request's head within `headDeadline` (a client that
/// trickles its headers, or sends nothing, is closed), and an HTTP connection with no
/// request in progress is closed after `idleTimeout`.
public enum LimitedListener {
    public static let headDeadline: TimeAmount = .seconds(10)
    public static let idleTimeout: TimeAmount = .seconds(75)

    /// HTTP/1.1 with WebSocket upgrades through `webSocketRouter`.
    public static func http1WebSocketUpgrade<WebSocketRouter: HTTPResponderBuilder>(
        webSocketRouter: WebSocketRouter,
        configuration: HTTP1WebSocketUpgradeChannel.Configuration,
        limits: ClientLimits?
    ) -> HTTPServerBuilder where WebSocketRouter.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            LimitedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    webSocketResponder: webSocketResponder,
                    configuration: configuration
                ),
                limits: limits
            )
        }
    }

    /// HTTP/1.1 only.
    public static func http1(limits: ClientLimits) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            LimitedChildChannel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: Self.idleTimeout)),
                limits: limits
            )
        }
    }
}

/// A child channel of a listener, counted against its address's connection limit.
struct LimitedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    enum Value: ServerChildChannelValue {
        case served(Base.Value)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .served(let value): value.channel
            case .refused(let channel): channel
            }
        }
    }

    let base: Base
    /// Nil: connections are not counted (a private listener), only the head deadline holds.
    let limits: ClientLimits?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let limits = self.limits {
            let address = channel.remoteAddress
            guard limits.open(.connection, from: address) else {
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
                    return .refused(channel)
                }
            }
            channel.closeFuture.whenComplete { _ in limits.close(.connection, from: address) }
        }
        do {
            try channel.pipeline.syncOperations.addHandler(FirstRequestDeadline(LimitedListener.headDeadline))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return self.base.setup(channel: channel, logger: logger).map { .served($0) }
    }

    func handle(value: Value, logger: Logger) async {
        guard case .served(let served) = value else { return }
        await self.base.handle(value: served, logger: logger)
    }
}

/// Answers a refused connection's first request with 429 and closes it; a client that
/// sends nothing is closed after `silenceLimit`.
final class RefusedConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let silenceLimit: TimeAmount = .seconds(5)
    static let answer: String = {
        let body =
            #"{"error":"too_many_connections","reason":"this address holds as many signaling connections as it may"}"#
        return "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }()

    private var answered = false
    private var timeout: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        self.timeout = context.closing(after: Self.silenceLimit)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.answered else { return }
        self.answered = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: Self.answer))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Closes a connection whose first request head (up to its blank line) has not arrived
/// within the deadline; passes every byte on untouched and leaves once the head is in.
final class FirstRequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadline: TimeAmount
    private var timeout: Scheduled<Void>?
    /// The last bytes seen, for a blank line split across reads.
    private var tail: [UInt8] = []
    private var done = false

    init(_ deadline: TimeAmount) {
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.timeout = context.closing(after: self.deadline)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        if !self.done {
            // The blank line may be split across reads: the last three bytes go on.
            let bytes = self.tail + buffer.readableBytesView
            let blankLine: [UInt8] = [13, 10, 13, 10]
            self.done =
                bytes.count >= 4 && (0...(bytes.count - 4)).contains { bytes[$0..<$0 + 4].elementsEqual(blankLine) }
            self.tail = Array(bytes.suffix(3))
        }
        context.fireChannelRead(data)
        if self.done {
            self.timeout?.cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

/// Refuses requests beyond the client address's rate (`ClientLimits`) with 429.
public struct RequestRateMiddleware<Context: RequestContext & RemoteAddressRequestContext>: RouterMiddleware {
    let limits: ClientLimits

    public init(limits: ClientLimits) {
        self.limits = limits
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard self.limits.admitRequest(from: context.remoteAddress) else {
            let body = #"{"error":"rate_limited","reason":"too many requests from this address"}"#
            return Response(
                status: .tooManyRequests,
                headers: [.contentType: "application/json", .retryAfter: "1", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body))
            )
        }
        return try await next(request, context)
    }
}

extension ChannelHandlerContext {
    /// Closes the channel after `delay`, unless the returned task is cancelled first.
    fileprivate func closing(after delay: TimeAmount) -> Scheduled<Void> {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        return self.eventLoop.scheduleTask(in: delay) { loopBound.value.close(promise: nil) }
    }
}
