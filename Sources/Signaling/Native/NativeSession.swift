import Foundation
import Logging
import RTP
import SFU

/// One connection's side of the native protocol: the handling of its requests, one at a
/// time. Which room and participant it is lives in the face's connection table, where
/// events are routed from. Only the connection's reader uses it, one message at a time.
final class NativeSession: @unchecked Sendable {
    static let maximumMessageSize = 1 << 20

    let face: NativeFace
    let connectionID: UInt64
    let send: AsyncStream<String>.Continuation
    let logger: Logger

    init(face: NativeFace, connectionID: UInt64, send: AsyncStream<String>.Continuation, logger: Logger) {
        self.face = face
        self.connectionID = connectionID
        self.send = send
        self.logger = logger
    }

    func handle(_ text: String) async {
        var id: JSONValue = .null
        do throws(NativeError) {
            let request = try NativeRequest(parsing: text)
            id = request.id
            self.face.counters.countRequest(face: NativeFace.faceName, type: request.kind.rawValue)
            var reply = try await self.perform(request)
            reply["id"] = id
            self.send.yield(JSONValue.object(reply).text)
        } catch {
            self.reply(error: error, id: id)
        }
    }

    func reply(error: NativeError, id: JSONValue) {
        self.face.counters.countError(face: NativeFace.faceName, code: error.code.rawValue)
        self.logger.debug("native request failed: \(error.code.rawValue): \(error.message)")
        let message: JSONValue = [
            "type": "error", "id": id, "code": .string(error.code.rawValue), "message": .string(error.message),
        ]
        self.send.yield(message.text)
    }

    func perform(_ request: NativeRequest) async throws(NativeError) -> [String: JSONValue] {
        switch request.kind {
        case .ping:
            return ["type": "pong"]
        case .join:
            return try await self.join(request)
        case .leave:
            let (room, _) = try self.member()
            await self.leave()
            return ["type": "left", "room": .string(room)]
        case .publish:
            let sdp = try request.string("sdp")
            let (answer, tracks) = try await self.inRoom { room, me throws(SFUError) in
                let (answer, producers) = try room.publish(participantID: me, offer: sdp)
                return (answer, producers.map(\.info))
            }
            return ["type": "published", "sdp": .string(answer), "tracks": .array(tracks.map(NativeEvents.track))]
        case .unpublish:
            try await self.inRoom { room, me throws(SFUError) in try room.unpublish(participantID: me) }
            return ["type": "unpublished"]
        case .subscribe:
            let trackIDs = try request.optionalStrings("tracks")
            let offer = try await self.inRoom { room, me throws(SFUError) in
                try room.subscribe(participantID: me, to: trackIDs)
            }
            return ["type": "offer", "sdp": .string(offer)]
        case .unsubscribe:
            guard let trackIDs = try request.optionalStrings("tracks") else {
                throw NativeError(.invalidMessage, "'tracks' is missing")
            }
            let offer = try await self.inRoom { room, me throws(SFUError) in
                try room.unsubscribe(participantID: me, from: trackIDs)
            }
            return ["type": "offer", "sdp": .string(offer)]
        case .pause, .resume:
            // Sections of the receiving connection stop or go on, without renegotiation.
            let mids = try request.optionalStrings("mids").map(Set.init)
            let paused = request.kind == .pause
            try await self.inRoom { room, me throws(SFUError) in
                let sections = Set(room.subscription(of: me).map(\.mid))
                if let unknown = mids?.first(where: { !sections.contains($0) }) {
                    throw .negotiation("no subscribed section with mid \(unknown)")
                }
                try room.setSubscriptionPaused(paused, participantID: me, mids: mids)
            }
            return ["type": "ack"]
        case .switch:
            // A section of the receiving connection takes another track of its kind and
            // codec, without renegotiation.
            let mid = try request.string("mid", maximumLength: 64)
            let track = try request.string("track", maximumLength: 512)
            try await self.inRoom { room, me throws(SFUError) in
                try room.switchSubscription(participantID: me, mid: mid, to: track)
            }
            return ["type": "ack"]
        case .restart:
            // An ICE restart of the receiving connection: the server's new offer.
            let offer = try await self.inRoom { room, me throws(SFUError) in
                try room.restartSubscription(participantID: me).sdp
            }
            return ["type": "offer", "sdp": .string(offer)]
        case .answer:
            let sdp = try request.string("sdp")
            let tracks = try await self.inRoom { room, me throws(SFUError) -> [String] in
                try room.acceptSubscriptionAnswer(participantID: me, answer: sdp)
                return room.participants[me]?.consumers.map(\.producer.id) ?? []
            }
            return ["type": "subscribed", "tracks": .array(tracks.map { .string($0) })]
        case .trickle:
            let target = try request.target()
            let candidate = try Self.candidate(in: request)
            try await self.inRoom { room, me throws(SFUError) in
                try room.addRemoteCandidate(candidate, participantID: me, role: target)
            }
            return ["type": "ack"]
        case .mute:
            guard let muted = try request.optionalBool("muted") else {
                throw NativeError(.invalidMessage, "'muted' is missing")
            }
            let track = try request.optionalString("track", maximumLength: 512)
            try await self.inRoom { room, me throws(SFUError) in
                try room.setMuted(muted, participantID: me, trackID: track)
            }
            return ["type": "ack"]
        case .layers:
            let mid = try request.optionalString("mid", maximumLength: 64)
            let spatial = try request.optionalInteger("spatialLayer", in: 0...2)
            let temporal = try request.optionalInteger("temporalLayer", in: 0...2)
            let width = try request.optionalInteger("maxWidth", in: 1...16_384)
            let height = try request.optionalInteger("maxHeight", in: 1...16_384)
            let size = (width != nil || height != nil) ? FrameSize(width: width ?? 1, height: height ?? 1) : nil
            try await self.inRoom { room, me throws(SFUError) in
                try room.setPreferredSpatialLayer(spatial, participantID: me, mid: mid)
                try room.setPreferredTemporalLayer(temporal, participantID: me, mid: mid)
                try room.setPreferredSize(size, participantID: me, mid: mid)
            }
            return ["type": "ack"]
        case .record:
            guard let recording = try request.optionalBool("recording") else {
                throw NativeError(.invalidMessage, "'recording' is missing")
            }
            let (roomName, _) = try self.member()
            let folder = URL(fileURLWithPath: self.face.recordingsFolder, isDirectory: true)
                .appendingPathComponent(Room.fileName(roomName)).path
            let recorder = self.face.server.recorder
            try await self.inRoom { room, _ throws(SFUError) in
                try room.recordEveryone(into: recording ? folder : nil, recorder: recorder)
            }
            return ["type": "ack"]
        }
    }

    func join(_ request: NativeRequest) async throws(NativeError) -> [String: JSONValue] {
        guard self.face.membership(of: self.connectionID) == nil else {
            throw NativeError(.alreadyJoined, "this connection already joined a room")
        }
        guard !self.face.server.isDraining else {
            throw NativeError(.draining, "the server is draining: join a room on another server")
        }
        let roomName = try request.roomName()
        let displayName = try request.optionalString("displayName", maximumLength: 1024).map { String($0.prefix(100)) }
        let pin = try request.optionalString("pin", maximumLength: 256)
        let creates = try request.optionalBool("create") ?? true
        let participantID = "p-" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
        // Bound before joining, so that no event after the join is missed; a client
        // may see an event for something the reply also lists.
        self.face.bind(self.connectionID, room: roomName, participantID: participantID)
        let snapshot: JoinSnapshot
        do {
            snapshot = try await self.face.server.joinRoom(
                roomName,
                creatingWith: creates ? self.face.roomDefaults : nil
            ) {
                room throws(SFUError) in
                if let expected = room.configuration.pin, expected != pin { throw .unauthorized("wrong PIN") }
                room.join(participantID: participantID, displayName: displayName)
                return JoinSnapshot(
                    participants: room.participants.values.filter { $0.id != participantID }.map {
                        ($0.id, $0.displayName)
                    },
                    tracks: room.tracks
                )
            }
        } catch {
            self.face.bind(self.connectionID, room: nil, participantID: nil)
            throw NativeError(error)
        }
        return [
            "type": "joined",
            "room": .string(roomName),
            "participantId": .string(participantID),
            "participants": .array(snapshot.participants.map { NativeEvents.participant($0.0, $0.1) }),
            "tracks": .array(snapshot.tracks.map(NativeEvents.track)),
            "iceServers": self.face.iceServers.iceServers(
                for: Identifier.isValid(participantID) ? participantID : nil
            ),
            "iceTransportPolicy": .string(self.face.iceServers.transportPolicy.rawValue),
        ]
    }

    /// Leaves the room this connection joined, if any.
    func leave() async {
        guard let (room, participantID) = self.face.membership(of: self.connectionID) else { return }
        self.face.bind(self.connectionID, room: nil, participantID: nil)
        await self.face.server.leaveRoom(room, participantID: participantID)
    }

    func member() throws(NativeError) -> (room: String, participantID: String) {
        guard let membership = self.face.membership(of: self.connectionID) else {
            throw NativeError(.notJoined, "join a room first")
        }
        return membership
    }

    /// Runs `body` on the room's worker with this connection's participant id.
    func inRoom<T: Sendable>(
        _ body: @escaping @Sendable (Room, String) throws(SFUError) -> T
    ) async throws(NativeError) -> T {
        let (room, participantID) = try self.member()
        do {
            return try await self.face.server.withRoom(room) { room throws(SFUError) in try body(room, participantID) }
        } catch {
            throw NativeError(error)
        }
    }

    /// The candidate of a trickle: `{"candidate": "candidate:…", …}`, or a string, or
    /// `null` / `""` for end-of-candidates.
    static func candidate(in request: NativeRequest) throws(NativeError) -> String {
        let value = request.fields["candidate"] ?? .null
        let text: String
        switch value {
        case .null: return ""
        case .string(let string): text = string
        case .object(let object):
            guard let string = object["candidate"]?.stringValue else {
                throw NativeError.field("candidate.candidate", "a string")
            }
            text = string
        default:
            throw NativeError.field("candidate", "an object, a string or null")
        }
        guard text.utf8.count <= 1024 else { throw NativeError.field("candidate", "at most 1024 bytes long") }
        return text.hasPrefix("a=") ? String(text.dropFirst(2)) : text
    }
}

/// What a joining participant is told of the room.
struct JoinSnapshot: Sendable {
    var participants: [(String, String?)]
    var tracks: [TrackInfo]
}
