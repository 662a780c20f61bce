import Foundation
public import Hummingbird
public import HummingbirdWebSocket
import Logging
import NIOCore

/// The Janus API's two transports: WebSocket (subprotocol `janus-protocol`, Janus's port
/// 8188) and HTTP REST with long polls (`/janus`, Janus's port 8088).
extension JanusGateway {
    static let protocolName = "janus-protocol"
    /// The largest request taken (an SDP offer is a few KB; Janus's own limit is higher).
    public static let maximumMessageSize = 1 << 20
    static let outboxLimit = 4096

    /// Adds the WebSocket endpoint at `/` and `/janus`. A client that asks for
    /// subprotocols must include `janus-protocol`; one that asks for none is served too
    /// (seed 002's client sends none).
    /// Each connection's messages within `limits`' request rate.
    public nonisolated func addWebSocketRoutes<Context: WebSocketRequestContext>(
        to router: Router<Context>,
        limits: ClientLimits? = nil
    ) {
        let shouldUpgrade = Self.upgrade(speaking: Self.protocolName, as: Context.self)
        for path in ["/", "/janus"] {
            router.ws(RouterPath(path), shouldUpgrade: shouldUpgrade) { inbound, outbound, context in
                await self.serve(
                    inbound: inbound,
                    outbound: outbound,
                    logger: context.logger,
                    admission: .of(limits, for: context.requestContext),
                    address: (context.requestContext as? any RemoteAddressRequestContext)?.remoteAddress
                )
            }
        }
    }

    /// Upgrades a client that asks for no subprotocol, or for a list with `name`.
    static func upgrade<Context: WebSocketRequestContext>(
        speaking name: String,
        as _: Context.Type
    ) -> @Sendable (Request, Context) async throws -> RouterShouldUpgrade {
        { request, _ in
            guard let offered = request.headers[.secWebSocketProtocol] else { return .upgrade([:]) }
            let names = offered.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard names.contains(name) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: name])
        }
    }

    nonisolated func serve(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        logger: Logger,
        admission: MessageAdmission = .unlimited,
        address: SocketAddress? = nil
    ) async {
        let (outbox, send) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(Self.outboxLimit))
        let connection = await self.open(send: send, address: address)
        await self.pump(
            inbound: inbound,
            outbound: outbound,
            outbox: outbox,
            send: send,
            logger: logger,
            admission: admission,
            request: { text in await self.receive(text, connection: connection) },
            readerEnded: { await self.close(connection: connection) }
        )
    }

    /// Runs one WebSocket of the Janus API or its Admin API: each text message to
    /// `request`, a binary or oversized one answered with its error.
    nonisolated func pump(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        outbox: AsyncStream<String>,
        send: AsyncStream<String>.Continuation,
        logger: Logger,
        admission: MessageAdmission = .unlimited,
        request: @escaping @Sendable (String) async -> Void,
        readerEnded: @escaping @Sendable () async -> Void
    ) async {
        await WebSocketPump.run(
            face: Self.faceName,
            counters: self.counters,
            inbound: inbound,
            outbound: outbound,
            outbox: outbox,
            send: send,
            maximumMessageSize: Self.maximumMessageSize,
            logger: logger,
            admit: admission.admits,
            receive: { message in
                switch message {
                case .text(let text):
                    await request(text)
                case .binary:
                    send.yield(
                        await self.fail(.invalidJSON("requests are JSON text frames"), transaction: nil, session: nil)
                            .text
                    )
                case .oversized:
                    let error = JanusError(450, "Requests are at most \(Self.maximumMessageSize) bytes")
                    send.yield(await self.fail(error, transaction: nil, session: nil).text)
                case .rateLimited:
                    send.yield(await self.fail(.rateLimited(admission.refusal), transaction: nil, session: nil).text)
                }
            },
            readerEnded: readerEnded
        )
    }

    /// Adds the REST endpoints under `/janus`: `POST /janus[/<session>[/<handle>]]`,
    /// long polls `GET /janus/<session>?maxev=N`, `GET /janus/info` and `GET /janus/ping`.
    public nonisolated func addHTTPRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/janus") { request, context in
            await self.post(request, context, session: nil, handle: nil)
        }
        router.post("/janus/:session") { request, context in
            guard let session = Self.id(context.parameters.get("session")) else {
                return Self.json(JanusReplies.error(.invalidPath("POST"), transaction: nil, session: nil))
            }
            return await self.post(request, context, session: session, handle: nil)
        }
        router.post("/janus/:session/:handle") { request, context in
            guard let session = Self.id(context.parameters.get("session")),
                let handle = Self.id(context.parameters.get("handle"))
            else {
                return Self.json(JanusReplies.error(.invalidPath("POST"), transaction: nil, session: nil))
            }
            return await self.post(request, context, session: session, handle: handle)
        }
        router.get("/janus/info") { _, _ in
            Self.json(JanusReplies.serverInfo(transaction: nil, configuration: self.configuration))
        }
        router.get("/janus/ping") { _, _ in
            Self.json(["janus": "pong"])
        }
        router.get("/janus/:session") { request, context in
            guard let session = Self.id(context.parameters.get("session")) else {
                return Self.json(JanusReplies.error(.invalidPath("GET"), transaction: nil, session: nil))
            }
            return await self.longPoll(request, session: session)
        }
        for path in ["/janus", "/janus/:session", "/janus/:session/:handle"] {
            router.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .noContent, headers: Self.corsHeaders)
            }
        }
    }

    nonisolated func post<Context: RequestContext>(
        _ request: Request,
        _ context: Context,
        session: UInt64?,
        handle: UInt64?
    ) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: Self.maximumMessageSize) else {
            return Self.json(
                await self.fail(
                    JanusError(450, "Requests are at most \(Self.maximumMessageSize) bytes"),
                    transaction: nil,
                    session: nil
                )
            )
        }
        let text = String(buffer: body)
        let address = (context as? any RemoteAddressRequestContext)?.remoteAddress
        return Self.json(await self.receive(text, session: session, handle: handle, from: address))
    }

    nonisolated func longPoll(_ request: Request, session: UInt64) async -> Response {
        let query = request.uri.queryParameters
        do throws(JanusError) {
            try await self.authorize(
                apiSecret: query["apisecret"].map(String.init),
                token: query["token"].map(String.init)
            )
            let maximum = query["maxev"].flatMap { Int($0) }.map { min(max($0, 1), 100) } ?? 1
            let events = try await self.poll(session: session, maximum: maximum)
            if events.isEmpty { return Self.json(["janus": "keepalive"]) }
            return Self.json(maximum > 1 ? .array(events) : events[0])
        } catch {
            return Self.json(await self.fail(error, transaction: nil, session: nil))
        }
    }

    static func id(_ text: String?) -> UInt64? {
        guard let text, let id = UInt64(text), id > 0 else { return nil }
        return id
    }

    static let corsHeaders: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlAllowMethods: "GET, POST, OPTIONS",
        .accessControlAllowHeaders: "Content-Type",
        .accessControlMaxAge: "86400",
    ]

    static func json(_ value: JSONValue) -> Response {
        var headers = Self.corsHeaders
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.text)))
    }
}
