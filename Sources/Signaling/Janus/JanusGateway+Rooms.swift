import Logging
import SFU

/// The VideoRoom's synchronous requests, answered in the `success`: rooms and their
/// administration.
extension JanusGateway {
    func synchronous(
        _ request: String,
        _ fields: JanusFields,
        handle: JanusHandle,
        envelope: JanusEnvelope
    ) async throws(VideoRoomError) -> Outcome {
        switch request {
        case "create":
            guard !self.server.isDraining else { throw .draining }
            return (try await self.create(fields), nil)
        case "edit":
            let room = try self.room(fields, checkingSecret: true)
            try self.edit(room, fields)
            // The limits, the bitrate cap and fir_freq reach the live room.
            let configuration = room.settings.roomConfiguration
            try? await self.server.withRoom(room.coreName) { core throws(SFUError) in core.reconfigure(configuration) }
            return (["videoroom": "edited", "room": JSONValue(room.id), "permanent": false], nil)
        case "destroy":
            let room = try self.room(fields, checkingSecret: true)
            await self.destroy(room)
            return (["videoroom": "destroyed", "room": JSONValue(room.id), "permanent": false], nil)
        case "exists":
            let id = try fields.requiredPositive("room")
            return (["videoroom": "success", "room": JSONValue(id), "exists": .bool(self.rooms[id] != nil)], nil)
        case "list":
            let admin =
                self.configuration.adminKey != nil && (try? fields.string("admin_key")) == self.configuration.adminKey
            let list = self.rooms.values.filter { admin || !$0.settings.isPrivate }.sorted { $0.id < $1.id }.map {
                $0.settings.listing(room: $0.id, participants: $0.feeds.count)
            }
            return (["videoroom": "success", "list": .array(list)], nil)
        case "listparticipants":
            let room = try self.room(fields, checkingSecret: false)
            let participants = room.feeds.values.sorted { $0.id < $1.id }.map { feed -> JSONValue in
                var entry: [String: JSONValue] = ["id": JSONValue(feed.id), "publisher": .bool(feed.isActive)]
                if let display = feed.display { entry["display"] = .string(display) }
                // As Janus: publishers with audio (levels read) say whether they talk.
                if feed.isActive, feed.audioCodec != nil, room.settings.audioLevelExtension {
                    entry["talking"] = .bool(feed.isTalking)
                }
                return .object(entry)
            }
            return (
                ["videoroom": "participants", "room": JSONValue(room.id), "participants": .array(participants)], nil
            )
        case "allowed":
            let room = try self.room(fields, checkingSecret: true)
            return (try self.allowed(room, fields), nil)
        case "listforwarders":
            // RTP forwarders are not made (`rtp_forward` answers 423): none to list, in
            // Janus's shape, under the room's secret as in Janus.
            let room = try self.room(fields, checkingSecret: true)
            return (["videoroom": "forwarders", "room": JSONValue(room.id), "publishers": []], nil)
        case "kick":
            let room = try self.room(fields, checkingSecret: true)
            let id = try fields.requiredPositive("id")
            guard let feed = room.feeds[id] else { throw .noSuchFeed(id) }
            await self.kick(feed, from: room)
            return (["videoroom": "success"], nil)
        case "moderate":
            let room = try self.room(fields, checkingSecret: true)
            return (try await self.moderate(room, fields), nil)
        case "enable_recording":
            let room = try self.room(fields, checkingSecret: true)
            return (try await self.enableRecording(room, fields), nil)
        default:
            throw .unknownRequest(request)
        }
    }

    /// The room a request names, with its secret checked when asked.
    func room(_ fields: JanusFields, checkingSecret: Bool) throws(VideoRoomError) -> VideoRoomState {
        let id = try fields.requiredPositive("room")
        guard let room = self.rooms[id] else { throw .noSuchRoom(id) }
        if checkingSecret, let secret = room.settings.secret, try fields.string("secret") != secret {
            throw .unauthorized("wrong secret")
        }
        return room
    }

    func create(_ fields: JanusFields) async throws(VideoRoomError) -> JSONValue {
        if let key = self.configuration.adminKey, try fields.string("admin_key") != key {
            throw .unauthorized("wrong admin_key")
        }
        if try fields.bool("permanent") == true {
            throw .unknown("SwiftSFU does not save rooms to a configuration file (permanent)")
        }
        let settings = try VideoRoomSettings(creating: fields)
        if let directory = settings.recordingDirectory { try self.checkRecordingDirectory(directory, "rec_dir") }
        let id: UInt64
        if let wanted = try fields.positive("room"), wanted > 0 {
            guard self.rooms[wanted] == nil else { throw .roomExists(wanted) }
            id = wanted
        } else {
            id = self.freshID { self.rooms[$0] == nil }
        }
        try await self.createRoom(id: id, settings: settings)
        return ["videoroom": "created", "room": JSONValue(id), "permanent": false]
    }

    func createRoom(id: UInt64, settings: VideoRoomSettings) async throws(VideoRoomError) {
        let state = VideoRoomState(id: id, settings: settings)
        self.rooms[id] = state
        do {
            try await self.server.createRoom(state.coreName, configuration: settings.roomConfiguration)
        } catch {
            if self.rooms[id] === state { self.rooms[id] = nil }
            throw error == .roomExists(state.coreName) ? .roomExists(id) : .unknown("\(error)")
        }
    }

    func edit(_ room: VideoRoomState, _ fields: JanusFields) throws(VideoRoomError) {
        var settings = room.settings
        if let description = try fields.string("new_description") { settings.description = description }
        if let secret = try fields.string("new_secret") { settings.secret = secret }
        if let pin = try fields.string("new_pin") { settings.pin = pin.isEmpty ? nil : pin }
        if let isPrivate = try fields.bool("new_is_private") { settings.isPrivate = isPrivate }
        if let required = try fields.bool("new_require_pvtid") { settings.requirePrivateID = required }
        if let publishers = try fields.positive("new_publishers") {
            settings.maximumPublishers = Int(min(publishers, 10_000))
        }
        if let subscribers = try fields.positive("new_max_subscribers"), subscribers > 0 {
            settings.maximumSubscribers = Int(min(subscribers, 100_000))
        }
        if let bitrate = try fields.positive("new_bitrate") { settings.bitrate = Int(min(bitrate, 1 << 32)) }
        if let fir = try fields.positive("new_fir_freq") { settings.firFrequency = Int(min(fir, 86_400)) }
        if let lock = try fields.bool("new_lock_record") { settings.lockRecord = lock }
        if let directory = try fields.string("new_rec_dir") {
            try self.checkRecordingDirectory(directory, "new_rec_dir")
            settings.recordingDirectory = directory
        }
        if try fields.bool("permanent") == true {
            throw .unknown("SwiftSFU does not save rooms to a configuration file (permanent)")
        }
        room.settings = settings
    }

    func destroy(_ room: VideoRoomState) async {
        self.rooms[room.id] = nil
        let data: JSONValue = ["videoroom": "destroyed", "room": JSONValue(room.id)]
        for feed in room.feeds.values {
            self.tell(handle: feed.handle, data)
            self.handles[feed.handle]?.role = .none
        }
        for subscription in room.subscribers.values {
            self.tell(handle: subscription.handle, data)
            self.handles[subscription.handle]?.role = .none
        }
        try? await self.server.destroyRoom(room.coreName)
    }

    func allowed(_ room: VideoRoomState, _ fields: JanusFields) throws(VideoRoomError) -> JSONValue {
        let action = try fields.requiredString("action", maximumLength: 16)
        let tokens = try fields.strings("allowed") ?? []
        switch action {
        case "enable": room.settings.allowed = room.settings.allowed ?? []
        case "disable": room.settings.allowed = nil
        case "add":
            guard fields.has("allowed") else { throw .missing("allowed") }
            room.settings.allowed = (room.settings.allowed ?? []).union(tokens)
        case "remove":
            guard fields.has("allowed") else { throw .missing("allowed") }
            room.settings.allowed?.subtract(tokens)
        default:
            throw .invalidElement("action", "enable, disable, add or remove")
        }
        var reply: [String: JSONValue] = ["videoroom": "success", "room": JSONValue(room.id)]
        if let allowed = room.settings.allowed { reply["allowed"] = .array(allowed.sorted().map { .string($0) }) }
        return .object(reply)
    }

    func moderate(_ room: VideoRoomState, _ fields: JanusFields) async throws(VideoRoomError) -> JSONValue {
        let id = try fields.requiredPositive("id")
        let mid = try fields.requiredString("mid", maximumLength: 64)
        guard let mute = try fields.bool("mute") else { throw .missing("mute") }
        guard let feed = room.feeds[id] else { throw .noSuchFeed(id) }
        guard let track = feed.tracks.first(where: { $0.info.mid == mid }) else {
            throw .invalidElement("mid", "a published mid of feed \(id)")
        }
        let trackID = track.info.id
        let participantID = feed.participantID
        try await self.inCore(room) { core throws(SFUError) in
            try core.setMuted(mute, participantID: participantID, trackID: trackID)
        }
        if let index = feed.tracks.firstIndex(where: { $0.info.mid == mid }) { feed.tracks[index].info.isMuted = mute }
        self.tellPublishers(
            in: room,
            except: nil,
            [
                "videoroom": "event", "room": JSONValue(room.id), "id": JSONValue(id), "mid": .string(mid),
                "moderation": .string(mute ? "muted" : "unmuted"),
            ]
        )
        return ["videoroom": "success"]
    }

    func kick(_ feed: Feed, from room: VideoRoomState) async {
        self.tell(
            handle: feed.handle,
            ["videoroom": "event", "room": JSONValue(room.id), "leaving": "ok", "reason": "kicked"]
        )
        if let handle = self.handles[feed.handle] {
            await self.leavePublisher(handle, room: room, feed: feed, announcement: "kicked")
            self.deliver(
                JanusReplies.handleEvent("hangup", session: handle.session, handle: handle.id, ["reason": "Kicked"]),
                to: handle.session
            )
        }
    }
}
