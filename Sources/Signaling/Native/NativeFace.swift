import Foundation
public import Hummingbird
public import HummingbirdWebSocket
public import Logging
import NIOWebSocket
public import SFU
import Synchronization

/// The native signaling protocol (docs/native-protocol.md): JSON messages over a
/// WebSocket at `/ws`. Each connection is at most one participant of one room. Requests
/// are handled in order; room events reach every connection of the room.
public final class NativeFace: Sendable {
    static let faceName = "native"

    public let server: MediaServer
    /// The configuration of rooms that joining creates.
    public let roomDefaults: RoomConfiguration
    /// The STUN/TURN servers handed to clients in `joined`, with TURN credentials for
    /// the participant.
    public let iceServers: ICEServerDirectory
    public let counters: SignalingCounters
    /// Where a room's recordings go (`record`): a folder per room in it (by default, in
    /// the working folder).
    public let recordingsFolder: String
    /// Connections by id, and the room and participant of those that joined.
    let connections = Mutex<[UInt64: Connection]>([:])
    private let nextConnectionID = Atomic<UInt64>(1)
    /// The largest WebSocket frame or reassembled message the listener takes: twice the
    /// largest request, so that an oversized request reaches the face, which answers
    /// `message_too_large`, counts it and closes the connection. Beyond this the
    /// WebSocket layer closes the connection itself (code 1009), unseen.
    public static let maximumFrameSize = 2 * NativeSession.maximumMessageSize
    /// Messages waiting to be written on one connection; a client that stops reading
    /// loses events beyond this rather than growing the server.
    static let outboxLimit = 4096

    struct Connection: Sendable {
        let send: AsyncStream<String>.Continuation
        var room: String?
        var participantID: String?
    }

    public init(
        server: MediaServer,
        roomDefaults: RoomConfiguration = RoomConfiguration(closesWhenEmpty: true),
        iceServers: ICEServerDirectory = .none,
        counters: SignalingCounters = SignalingCounters(),
        recordingsFolder: String? = nil
    ) {
        self.server = server
        self.roomDefaults = roomDefaults
        self.iceServers = iceServers
        self.counters = counters
        self.recordingsFolder = recordingsFolder ?? FileManager.default.currentDirectoryPath
        server.observe { [weak self] room, event in self?.route(room, event) }
    }

    /// Adds `GET /ws` (the WebSocket upgrade) to a router; each connection's messages
    /// within `limits`' request rate.
    public func addRoutes<Context: WebSocketRequestContext>(to router: Router<Context>, limits: ClientLimits? = nil) {
        router.ws("/ws") { inbound, outbound, context in
            await self.serve(
                inbound: inbound,
                outbound: outbound,
                logger: context.logger,
                admission: .of(limits, for: context.requestContext)
            )
        }
    }

    /// Serves one WebSocket connection until either side closes it.
    public func serve(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        logger: Logger,
        admission: MessageAdmission = .unlimited
    ) async {
        let (stream, send) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(Self.outboxLimit))
        let id = self.nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.connections.withLock { $0[id] = Connection(send: send) }
        let session = NativeSession(face: self, connectionID: id, send: send, logger: logger)
        await WebSocketPump.run(
            face: Self.faceName,
            counters: self.counters,
            inbound: inbound,
            outbound: outbound,
            outbox: stream,
            send: send,
            maximumMessageSize: NativeSession.maximumMessageSize,
            logger: logger,
            admit: admission.admits,
            receive: { message in
                switch message {
                case .text(let text):
                    await session.handle(text)
                case .binary:
                    session.reply(error: NativeError(.invalidMessage, "messages are JSON text frames"), id: .null)
                case .rateLimited:
                    session.reply(error: NativeError(.rateLimited, admission.refusal), id: .null)
                case .oversized:
                    let limit = NativeSession.maximumMessageSize
                    session.reply(
                        error: NativeError(.messageTooLarge, "messages are at most \(limit) bytes"),
                        id: .null
                    )
                }
            },
            readerEnded: { await session.leave() }
        )
        self.connections.withLock { _ = $0.removeValue(forKey: id) }
        send.finish()
    }

    /// A connection without a socket: `receive` hands it one message at a time, as a
    /// WebSocket's reader does, and its replies and events go to `send`. For the protocol
    /// over another transport, and for fuzzing; `close()` leaves the room.
    public func connection(send: AsyncStream<String>.Continuation, logger: Logger) -> NativeConnection {
        let id = self.nextConnectionID.wrappingAdd(1, ordering: .relaxed).oldValue
        self.connections.withLock { $0[id] = Connection(send: send) }
        return NativeConnection(session: NativeSession(face: self, connectionID: id, send: send, logger: logger))
    }

    /// Tells every connection the server is going away and closes it.
    public func closeAll(reason: String) {
        let all = self.connections.withLock { Array($0.values) }
        let message: JSONValue = ["type": "closing", "reason": .string(reason)]
        for connection in all {
            connection.send.yield(message.text)
            connection.send.finish()
        }
    }

    /// The room and participant a connection joined as, if it did.
    func membership(of connectionID: UInt64) -> (room: String, participantID: String)? {
        self.connections.withLock { connections in
            guard let connection = connections[connectionID], let room = connection.room,
                let participantID = connection.participantID
            else { return nil }
            return (room, participantID)
        }
    }

    func bind(_ connectionID: UInt64, room: String?, participantID: String?) {
        self.connections.withLock { connections in
            connections[connectionID]?.room = room
            connections[connectionID]?.participantID = participantID
        }
    }

    /// Hands a room event to the connections it concerns. Runs on the room's worker.
    func route(_ room: String, _ event: RoomEvent) {
        let members = self.connections.withLock { connections in
            connections.values.filter { $0.room == room && $0.participantID != nil }
        }
        guard !members.isEmpty else { return }
        let (message, audience) = NativeEvents.message(for: event)
        let text = message.text
        for member in members where audience.includes(member.participantID!) {
            member.send.yield(text)
        }
    }
}

/// One connection of the native protocol made by `NativeFace.connection(send:logger:)`.
public struct NativeConnection: Sendable {
    let session: NativeSession

    /// One message from the client; its reply goes to the connection's `send`.
    public func receive(_ text: String) async {
        await self.session.handle(text)
    }

    /// The client went away: it leaves its room, and the face forgets the connection.
    public func close() async {
        await self.session.leave()
        let id = self.session.connectionID
        self.session.face.connections.withLock { _ = $0.removeValue(forKey: id) }
    }
}
