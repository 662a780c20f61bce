import Foundation
public import Hummingbird
public import HummingbirdWebSocket
public import Logging
import NIOCore
public import SFU
import Synchronization

/// The RTC-server face for a call backend (docs/rtc-face.md): it takes the backend's
/// `RtcMessage`s by `POST /rtc` or over a WebSocket at `/rtc/ws`, and sends its own to
/// the backend's callback URL (retried, signed when a secret is set) and to every open
/// `/rtc/ws` socket.
public final class RTCFace: Sendable {
    static let faceName = "rtc"
    static let outboxLimit = 4096

    public let counters: SignalingCounters
    let calls: RTCCalls
    let callbackURL: String?
    let delivery: HTTPDelivery?
    private let sockets = Sockets()
    /// Room events, handled in order by one task.
    private let events: AsyncStream<(String, RoomEvent)>.Continuation

    public init(
        server: MediaServer,
        roomDefaults: RoomConfiguration = RoomConfiguration(closesWhenEmpty: false),
        callbackURL: String? = nil,
        delivery: HTTPDelivery? = nil,
        counters: SignalingCounters = SignalingCounters(),
        recordingsFolder: String? = nil
    ) {
        self.counters = counters
        self.callbackURL = callbackURL
        self.delivery = delivery
        let sockets = self.sockets
        self.calls = RTCCalls(
            server: server,
            roomDefaults: roomDefaults,
            counters: counters,
            recordingsFolder: recordingsFolder ?? FileManager.default.currentDirectoryPath
        ) { message in
            let text = message.text
            sockets.broadcast(text)
            if let callbackURL, let delivery { delivery.post(text, to: callbackURL, kind: "rtc_callback") }
        }
        let (stream, events) = AsyncStream<(String, RoomEvent)>.makeStream()
        self.events = events
        let calls = self.calls
        Task {
            for await (room, event) in stream { await calls.route(room, event) }
        }
        server.observe { room, event in
            guard room.hasPrefix("rtc/") else { return }
            events.yield((room, event))
        }
    }

    /// Handles one message; the reply is `Ack` or `Error` (with `code` and `message`).
    public func handle(_ text: String) async -> (status: Int, reply: RTCMessage) {
        var ref = ""
        var user = ""
        do throws(RTCError) {
            let message = try RTCMessage(parsing: text)
            (ref, user) = (message.ref, message.userID)
            // Only known names become labels: a client must not grow /metrics.
            let known = RTCCalls.messageNames.contains(message.name)
            self.counters.countRequest(face: Self.faceName, type: known ? message.name : "unknown")
            try await self.calls.handle(message)
            return (200, RTCMessage(ref: ref, name: "Ack", data: [:], userID: user))
        } catch {
            return self.refuse(error, ref: ref.isEmpty ? error.ref : ref, user: user)
        }
    }

    /// The `Error` reply, counted.
    func refuse(_ error: RTCError, ref: String = "", user: String = "") -> (status: Int, reply: RTCMessage) {
        self.counters.countError(face: Self.faceName, code: error.code.rawValue)
        let data: [String: JSONValue] = ["code": .string(error.code.rawValue), "message": .string(error.message)]
        return (error.status, RTCMessage(ref: ref, name: "Error", data: data, userID: user))
    }

    /// Adds `POST /rtc` and the WebSocket `GET /rtc/ws`.
    public func addRoutes<Context: WebSocketRequestContext>(to router: Router<Context>, limits: ClientLimits? = nil) {
        router.post("/rtc") { request, _ -> Response in
            var request = request
            guard let body = try? await request.collectBody(upTo: RTCMessage.maximumSize) else {
                let (status, reply) = self.refuse(RTCError.tooLarge)
                return Self.response(status, reply)
            }
            let (status, reply) = await self.handle(String(buffer: body))
            return Self.response(status, reply)
        }
        router.ws("/rtc/ws") { inbound, outbound, context in
            await self.serve(
                inbound: inbound,
                outbound: outbound,
                logger: context.logger,
                admission: .of(limits, for: context.requestContext)
            )
        }
    }

    static func response(_ status: Int, _ reply: RTCMessage) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json", .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: reply.text))
        )
    }

    func serve(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        logger: Logger,
        admission: MessageAdmission = .unlimited
    ) async {
        let (outbox, send) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(Self.outboxLimit))
        let id = self.sockets.add(send)
        await WebSocketPump.run(
            face: Self.faceName,
            counters: self.counters,
            inbound: inbound,
            outbound: outbound,
            outbox: outbox,
            send: send,
            maximumMessageSize: RTCMessage.maximumSize,
            logger: logger,
            admit: admission.admits,
            receive: { message in
                switch message {
                case .text(let text):
                    send.yield(await self.handle(text).reply.text)
                case .binary:
                    send.yield(self.refuse(RTCError(.invalidMessage, "messages are JSON text frames")).reply.text)
                case .oversized:
                    send.yield(self.refuse(RTCError.tooLarge).reply.text)
                case .rateLimited:
                    send.yield(self.refuse(RTCError(.rateLimited, admission.refusal)).reply.text)
                }
            },
            readerEnded: {}
        )
        self.sockets.remove(id)
        send.finish()
    }

    /// The open `/rtc/ws` sockets; every outgoing message goes to each.
    final class Sockets: Sendable {
        private let table = Mutex<[UInt64: AsyncStream<String>.Continuation]>([:])
        private let nextID = Atomic<UInt64>(1)

        func add(_ send: AsyncStream<String>.Continuation) -> UInt64 {
            let id = self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
            self.table.withLock { $0[id] = send }
            return id
        }

        func remove(_ id: UInt64) { self.table.withLock { _ = $0.removeValue(forKey: id) } }

        func broadcast(_ text: String) {
            for socket in self.table.withLock({ Array($0.values) }) { socket.yield(text) }
        }
    }
}
