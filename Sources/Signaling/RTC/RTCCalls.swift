import SFU

/// The calls of the RTC-server face and what each user has in them: one actor, so that
/// messages and room events are handled one at a time. A call is a room named
/// `rtc/<callId>`; a user publishes as the room participant `<userId>`, and receives
/// each other user's media on a participant of its own, `<userId>><senderId>` (one
/// peer connection per sender, as the backend's `ReceiveVideoFrom` asks).
actor RTCCalls {
    struct User {
        var isPublishing = false
        /// Senders this user has a receiving connection from.
        var receiving: Set<String> = []
        /// Offers to receive from a sender that has not published yet, answered when it does.
        var waiting: [String: (ref: String, offer: String)] = [:]
        /// Candidates for a connection not made yet, by sender (at most 64 each).
        var earlyCandidates: [String: [String]] = [:]
    }

    struct Call {
        var users: [String: User] = [:]
        var room: String
    }

    let server: MediaServer
    let roomDefaults: RoomConfiguration
    /// Hands a message to the backend (its callback URL and open WebSockets).
    let emit: @Sendable (RTCMessage) -> Void
    let counters: SignalingCounters
    /// Where calls are recorded: a folder per call in it.
    let recordingsFolder: String
    var calls: [String: Call] = [:] {
        // No `oldValue`: nested changes still mutate in place.
        didSet { self.counters.setOpen(face: RTCFace.faceName, kind: "calls", count: self.calls.count) }
    }
    private var nextRef = 0

    init(
        server: MediaServer,
        roomDefaults: RoomConfiguration,
        counters: SignalingCounters,
        recordingsFolder: String,
        emit: @escaping @Sendable (RTCMessage) -> Void
    ) {
        self.server = server
        self.roomDefaults = roomDefaults
        self.recordingsFolder = recordingsFolder
        self.counters = counters
        self.emit = emit
        counters.setOpen(face: RTCFace.faceName, kind: "calls", count: 0)
    }

    static let messageNames: Set<String> = [
        "InitCall", "Join", "Leave", "CleanupCall", "CleanupUser", "ReceiveVideoFrom", "OnIceCandidate",
        "StartRecording", "StopRecording",
    ]

    static func roomName(_ callID: String) -> String { "rtc/\(callID)" }
    static func leg(_ user: String, from sender: String) -> String { "\(user)>\(sender)" }

    /// The user and sender of a receiving connection's participant id; `nil` for a user.
    static func receiver(of participantID: String) -> (user: String, sender: String)? {
        let parts = participantID.split(separator: ">", maxSplits: 1)
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
    }

    func send(_ name: String, to user: String, ref: String? = nil, _ data: [String: JSONValue]) {
        let ref = ref ?? self.serverRef()
        self.emit(RTCMessage(ref: ref, name: name, data: data, userID: user))
    }

    func serverRef() -> String {
        self.nextRef += 1
        return "sfu-\(self.nextRef)"
    }

    func call(_ message: RTCMessage) throws(RTCError) -> (id: String, call: Call) {
        let id = try message.identifier("callId")
        guard let call = self.calls[id] else { throw RTCError(.unknownCall, "no call '\(id)'", ref: message.ref) }
        return (id, call)
    }

    func member(_ message: RTCMessage) throws(RTCError) -> (id: String, call: Call) {
        let (id, call) = try self.call(message)
        guard call.users[message.userID] != nil else {
            throw RTCError(.notInCall, "user '\(message.userID)' has not joined call '\(id)'", ref: message.ref)
        }
        return (id, call)
    }

    // MARK: - Messages

    func handle(_ message: RTCMessage) async throws(RTCError) {
        if message.name == "InitCall" || message.name == "Join", self.server.isDraining {
            throw RTCError(.draining, "the server is draining: start the call on another server", ref: message.ref)
        }
        switch message.name {
        case "InitCall": try await self.initCall(message)
        case "Join": try await self.join(message)
        case "Leave":
            let (id, _) = try self.member(message)
            await self.remove(message.userID, from: id, ref: message.ref)
        case "CleanupUser":
            let (id, call) = try self.call(message)
            let user = try message.data["userId"] == nil ? message.userID : message.identifier("userId")
            if call.users[user] != nil { await self.remove(user, from: id, ref: message.ref) }
        case "CleanupCall":
            let (id, call) = try self.call(message)
            self.calls[id] = nil
            try? await self.server.destroyRoom(call.room)
        case "ReceiveVideoFrom": try await self.receiveVideo(message)
        case "OnIceCandidate": try await self.addCandidate(message)
        case "StartRecording": try await self.record(message, on: true)
        case "StopRecording": try await self.record(message, on: false)
        default:
            throw RTCError(.unknownMessage, "unknown message '\(message.name.prefix(64))'", ref: message.ref)
        }
    }

    func initCall(_ message: RTCMessage) async throws(RTCError) {
        let id = try message.identifier("callId")
        guard self.calls[id] == nil else { throw RTCError(.callExists, "call '\(id)' exists", ref: message.ref) }
        var participants: [String] = [message.userID]
        if let listed = message.data["participants"] {
            guard let array = listed.arrayValue, array.count <= 1_000 else {
                throw RTCError(.invalidMessage, "'participants' is a list of user ids", ref: message.ref)
            }
            for entry in array {
                let user = try RTCMessage.identifier(entry.stringValue ?? "", "participants", ref: message.ref)
                if !participants.contains(user) { participants.append(user) }
            }
        }
        let room = Self.roomName(id)
        do {
            try await self.server.createRoom(room, configuration: self.roomDefaults)
        } catch {
            throw RTCError(.callExists, "call '\(id)' exists", ref: message.ref)
        }
        self.calls[id] = Call(room: room)
        self.send(
            "CallCreated",
            to: message.userID,
            ref: message.ref,
            ["callId": .string(id), "participants": .array(participants.map { .string($0) })]
        )
    }

    func join(_ message: RTCMessage) async throws(RTCError) {
        let (id, call) = try self.call(message)
        let user = message.userID
        guard call.users[user] == nil else { return }
        do {
            try await self.server.withRoom(call.room) { room throws(SFUError) in _ = room.join(participantID: user) }
        } catch {
            throw RTCError(.unknownCall, "call '\(id)' has ended", ref: message.ref)
        }
        self.calls[id]?.users[user] = User()
        let joined = self.calls[id].map { Array($0.users.keys).sorted() } ?? []
        for member in joined {
            self.send(
                "UserAdded",
                to: member,
                ref: message.ref,
                ["callId": .string(id), "userId": .string(user), "participants": .array(joined.map { .string($0) })]
            )
        }
    }

    /// Frees everything of `user` in the call (its publishing, its receiving connections,
    /// everyone's connections receiving from it) and tells the others.
    func remove(_ user: String, from id: String, ref: String) async {
        guard let call = self.calls[id], call.users[user] != nil else { return }
        self.calls[id]?.users[user] = nil
        var legs = call.users[user]?.receiving.map { Self.leg(user, from: $0) } ?? []
        for (other, state) in call.users where state.receiving.contains(user) {
            legs.append(Self.leg(other, from: user))
            self.calls[id]?.users[other]?.receiving.remove(user)
        }
        for other in call.users.keys { self.calls[id]?.users[other]?.waiting[user] = nil }
        let removed = legs + [user]
        try? await self.server.withRoom(call.room) { room throws(SFUError) in
            for participant in removed { room.leave(participantID: participant) }
        }
        let remaining = self.calls[id].map { Array($0.users.keys).sorted() } ?? []
        for member in remaining {
            self.send(
                "UserRemoved",
                to: member,
                ref: ref,
                ["callId": .string(id), "userId": .string(user), "participants": .array(remaining.map { .string($0) })]
            )
        }
    }
}
