import Logging
import SDP
import SFU

/// The `janus.plugin.videoroom` requests: synchronous ones answered in the `success`,
/// asynchronous ones acknowledged and answered by an `event` on the session.
extension JanusGateway {
    static let synchronousRequests: Set<String> = [
        "create", "edit", "destroy", "exists", "list", "listparticipants", "allowed", "kick", "moderate",
    ]
    /// Janus requests SwiftSFU does not implement; they get a clear 423.
    static let unsupportedRequests: Set<String> = [
        "enable_recording", "listforwarders", "rtp_forward", "stop_rtp_forward", "add_remote_publisher",
        "update_remote_publisher", "remove_remote_publisher", "publish_remotely", "unpublish_remotely",
        "listremotes", "list_remotes",
    ]
    static let asynchronousRequests: Set<String> = [
        "join", "joinandconfigure", "configure", "publish", "unpublish", "start", "pause", "switch", "subscribe",
        "unsubscribe", "update", "leave",
    ]
    static let maximumSDPLength = 256 * 1024

    struct JSEP: Sendable {
        var type: String
        var sdp: String
    }

    /// A plugin request's outcome: the plugin data and an optional JSEP.
    typealias Outcome = (data: JSONValue, jsep: JSEP?)

    // MARK: message and trickle

    func message(_ envelope: JanusEnvelope, handle: JanusHandle) async throws(JanusError) -> JSONValue? {
        guard let value = envelope.fields["body"], !value.isNull else { throw .missing("body") }
        guard let body = value.objectValue else { throw .invalidType("body", "an object") }
        let jsep = try Self.jsep(in: envelope)
        let fields = JanusFields(body)
        let transaction = envelope.transaction
        let request: String
        do {
            request = try fields.requiredString("request", maximumLength: 64)
        } catch {
            return self.pluginReply(.failure(error), handle: handle, transaction: transaction, kind: "success")
        }
        if Self.synchronousRequests.contains(request) {
            let outcome: Result<Outcome, VideoRoomError>
            do {
                outcome = .success(try await self.synchronous(request, fields, handle: handle, envelope: envelope))
            } catch {
                outcome = .failure(error)
            }
            return self.pluginReply(outcome, handle: handle, transaction: transaction, kind: "success")
        }
        guard Self.asynchronousRequests.contains(request) else {
            let error =
                Self.unsupportedRequests.contains(request)
                ? VideoRoomError.invalidRequest("'\(request)' is not supported by SwiftSFU")
                : VideoRoomError.unknownRequest(request)
            return self.pluginReply(.failure(error), handle: handle, transaction: transaction, kind: "success")
        }
        let handleID = handle.id
        let previous = handle.queue
        handle.queue = Task {
            await previous?.value
            await self.runAsynchronous(request, body: body, jsep: jsep, handle: handleID, transaction: transaction)
        }
        return JanusReplies.ack(transaction: transaction, session: handle.session)
    }

    func runAsynchronous(
        _ request: String,
        body: [String: JSONValue],
        jsep: JSEP?,
        handle handleID: UInt64,
        transaction: String
    ) async {
        guard let handle = self.handles[handleID], !handle.isDetached else { return }
        let outcome: Result<Outcome, VideoRoomError>
        do {
            outcome = .success(try await self.asynchronous(request, JanusFields(body), jsep: jsep, handle: handle))
        } catch {
            outcome = .failure(error)
        }
        guard self.handles[handleID] != nil else { return }
        let event = self.pluginReply(outcome, handle: handle, transaction: transaction, kind: "event")
        self.deliver(event, to: handle.session)
    }

    func pluginReply(
        _ outcome: Result<Outcome, VideoRoomError>,
        handle: JanusHandle,
        transaction: String?,
        kind: String
    ) -> JSONValue {
        switch outcome {
        case .success(let (data, jsep)):
            if jsep != nil { handle.sentDescription = true }
            return JanusReplies.plugin(
                kind,
                data: data,
                session: handle.session,
                handle: handle.id,
                transaction: transaction,
                jsep: jsep.map { ["type": .string($0.type), "sdp": .string($0.sdp)] }
            )
        case .failure(let error):
            self.counters.countError(face: Self.faceName, code: "videoroom-\(error.code)")
            self.logger.debug("VideoRoom request failed: \(error.code) \(error.reason)")
            return JanusReplies.plugin(
                kind,
                data: ["videoroom": "event", "error_code": JSONValue(error.code), "error": .string(error.reason)],
                session: handle.session,
                handle: handle.id,
                transaction: transaction
            )
        }
    }

    static func jsep(in envelope: JanusEnvelope) throws(JanusError) -> JSEP? {
        guard let value = envelope.fields["jsep"], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw .invalidType("jsep", "an object") }
        guard let typeValue = object["type"], !typeValue.isNull else { throw .missing("type") }
        guard let type = typeValue.stringValue else { throw .invalidType("type", "a string") }
        guard type == "offer" || type == "answer" else { throw .unknownJSEPType(type) }
        guard let sdpValue = object["sdp"], !sdpValue.isNull else { throw .missing("sdp") }
        guard let sdp = sdpValue.stringValue else { throw .invalidType("sdp", "a string") }
        guard sdp.utf8.count <= Self.maximumSDPLength else {
            throw .invalidSDP("longer than \(Self.maximumSDPLength) bytes")
        }
        do {
            _ = try SessionDescription(parsing: sdp)
        } catch {
            throw .invalidSDP("\(error)")
        }
        return JSEP(type: type, sdp: sdp)
    }

    func trickle(_ envelope: JanusEnvelope, handle: JanusHandle) async throws(JanusError) {
        var candidates: [JSONValue]
        if let one = envelope.fields["candidate"] {
            candidates = [one]
        } else if let many = envelope.fields["candidates"] {
            guard let array = many.arrayValue, array.count <= 64 else {
                throw .invalidType("candidates", "an array of at most 64 candidates")
            }
            candidates = array
        } else {
            throw .missing("candidate")
        }
        var lines: [String] = []
        for candidate in candidates {
            switch candidate {
            case .null:
                lines.append("")
            case .object(let object):
                if object["completed"]?.boolValue == true {
                    lines.append("")
                    continue
                }
                guard let text = object["candidate"]?.stringValue, text.utf8.count <= 1024 else {
                    throw .invalidType("candidate", "an object with a candidate string")
                }
                lines.append(text.hasPrefix("a=") ? String(text.dropFirst(2)) : text)
            default:
                throw .invalidType("candidate", "an object")
            }
        }
        for line in lines { await self.addCandidate(line, to: handle) }
    }

    /// Adds a trickled candidate to the handle's peer connection, or keeps it until
    /// there is one.
    func addCandidate(_ candidate: String, to handle: JanusHandle) async {
        guard let (roomName, participantID, role) = self.peerConnection(of: handle) else {
            if handle.pendingCandidates.count < 64 { handle.pendingCandidates.append(candidate) }
            return
        }
        do {
            try await self.server.withRoom(roomName) { room throws(SFUError) in
                try room.addRemoteCandidate(candidate, participantID: participantID, role: role)
            }
        } catch {
            // Janus acknowledges a trickle it cannot use; it is counted here.
            self.counters.countError(face: Self.faceName, code: "trickle")
        }
    }

    /// The core room, participant and role of the handle's peer connection, once it has one.
    func peerConnection(of handle: JanusHandle) -> (String, String, TransportRole)? {
        switch handle.role {
        case .publisher(let roomID, let feedID):
            guard let room = self.rooms[roomID], let feed = room.feeds[feedID], !feed.tracks.isEmpty else { return nil }
            return (room.coreName, feed.participantID, .publish)
        case .subscriber(let roomID):
            guard let room = self.rooms[roomID], let subscription = room.subscribers[handle.id] else { return nil }
            return (room.coreName, subscription.participantID, .subscribe)
        case .none:
            return nil
        }
    }

    func flushCandidates(of handle: JanusHandle) async {
        let pending = handle.pendingCandidates
        handle.pendingCandidates = []
        for candidate in pending { await self.addCandidate(candidate, to: handle) }
    }

    // MARK: Synchronous requests

    func synchronous(
        _ request: String,
        _ fields: JanusFields,
        handle: JanusHandle,
        envelope: JanusEnvelope
    ) async throws(VideoRoomError) -> Outcome {
        switch request {
        case "create":
            return (try await self.create(fields), nil)
        case "edit":
            let room = try self.room(fields, checkingSecret: true)
            try self.edit(room, fields)
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
        case "kick":
            let room = try self.room(fields, checkingSecret: true)
            let id = try fields.requiredPositive("id")
            guard let feed = room.feeds[id] else { throw .noSuchFeed(id) }
            await self.kick(feed, from: room)
            return (["videoroom": "success"], nil)
        case "moderate":
            let room = try self.room(fields, checkingSecret: true)
            return (try await self.moderate(room, fields), nil)
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
        if settings.record {
            self.logger.warning("VideoRoom room \(id) asks for recording, which SwiftSFU does not do yet")
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
        if let bitrate = try fields.positive("new_bitrate") { settings.bitrate = Int(min(bitrate, 1 << 32)) }
        if let fir = try fields.positive("new_fir_freq") { settings.firFrequency = Int(min(fir, 86_400)) }
        if let lock = try fields.bool("new_lock_record") { settings.lockRecord = lock }
        if let directory = try fields.string("new_rec_dir") { settings.recordingDirectory = directory }
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

    // MARK: Asynchronous requests

    func asynchronous(
        _ request: String,
        _ fields: JanusFields,
        jsep: JSEP?,
        handle: JanusHandle
    ) async throws(VideoRoomError) -> Outcome {
        switch (request, handle.role) {
        case ("join", .none), ("joinandconfigure", .none):
            let ptype = try fields.requiredString("ptype", maximumLength: 32)
            switch ptype {
            case "publisher":
                var (data, _) = try await self.joinPublisher(fields, handle: handle)
                guard request == "joinandconfigure" || jsep != nil else { return (data, nil) }
                let (configured, answer) = try await self.configurePublisher(
                    fields,
                    jsep: jsep,
                    handle: handle,
                    isPublish: false
                )
                if case .object(var joined) = data, case .object(let extra) = configured {
                    for key in ["audio_codec", "video_codec", "streams"] where extra[key] != nil {
                        joined[key] = extra[key]
                    }
                    data = .object(joined)
                }
                return (data, answer)
            case "subscriber", "listener":
                guard jsep == nil else { throw .invalidRequest("Can't send an offer to create subscribers") }
                return try await self.joinSubscriber(fields, handle: handle)
            default:
                throw .invalidElement("ptype", "publisher or subscriber")
            }
        case ("join", _), ("joinandconfigure", _):
            throw .alreadyJoined
        case (_, .none):
            throw .joinFirst
        case ("configure", .publisher):
            return try await self.configurePublisher(fields, jsep: jsep, handle: handle, isPublish: false)
        case ("publish", .publisher):
            return try await self.configurePublisher(fields, jsep: jsep, handle: handle, isPublish: true)
        case ("unpublish", .publisher(let roomID, let feedID)):
            let (room, feed) = try self.feed(roomID, feedID)
            guard !feed.tracks.isEmpty else { throw .notPublished }
            await self.unpublish(feed, in: room)
            return (["videoroom": "event", "room": JSONValue(roomID), "unpublished": "ok"], nil)
        case ("leave", .publisher(let roomID, let feedID)):
            let (room, feed) = try self.feed(roomID, feedID)
            await self.leavePublisher(handle, room: room, feed: feed, announcement: "leaving")
            return (["videoroom": "event", "room": JSONValue(roomID), "leaving": "ok"], nil)
        case ("start", .subscriber(let roomID)):
            return try await self.start(fields, jsep: jsep, handle: handle, room: roomID)
        case ("pause", .subscriber(let roomID)):
            let (room, subscription) = try self.subscription(roomID, handle)
            try await self.pause(true, room: room, subscription: subscription, mids: nil)
            subscription.isPaused = true
            return (["videoroom": "event", "room": JSONValue(roomID), "paused": "ok"], nil)
        case ("configure", .subscriber(let roomID)):
            return try await self.configureSubscriber(fields, handle: handle, room: roomID)
        case ("subscribe", .subscriber(let roomID)), ("unsubscribe", .subscriber(let roomID)),
            ("update", .subscriber(let roomID)):
            return try await self.updateSubscription(request, fields, handle: handle, room: roomID)
        case ("switch", .subscriber(let roomID)):
            return try await self.switchStreams(fields, handle: handle, room: roomID)
        case ("leave", .subscriber(let roomID)):
            if let room = self.rooms[roomID], let subscription = room.subscribers[handle.id] {
                await self.leaveSubscriber(handle, room: room, subscription: subscription)
            }
            handle.role = .none
            return (["videoroom": "event", "left": "ok"], nil)
        case (_, .publisher):
            throw .invalidRequest("'\(request)' is a subscriber request; this handle is a publisher")
        case (_, .subscriber):
            throw .invalidRequest("'\(request)' is a publisher request; this handle is a subscriber")
        }
    }

    func feed(_ roomID: UInt64, _ feedID: UInt64) throws(VideoRoomError) -> (VideoRoomState, Feed) {
        guard let room = self.rooms[roomID] else { throw .noSuchRoom(roomID) }
        guard let feed = room.feeds[feedID] else { throw .noSuchFeed(feedID) }
        return (room, feed)
    }

    func subscription(_ roomID: UInt64, _ handle: JanusHandle) throws(VideoRoomError) -> (VideoRoomState, Subscription)
    {
        guard let room = self.rooms[roomID] else { throw .noSuchRoom(roomID) }
        guard let subscription = room.subscribers[handle.id] else { throw .joinFirst }
        return (room, subscription)
    }

    /// The pin and the allowed list of a room, for a joining participant.
    func checkAdmission(_ room: VideoRoomState, _ fields: JanusFields) throws(VideoRoomError) {
        if let pin = room.settings.pin, try fields.string("pin") != pin { throw .unauthorized("wrong pin") }
        if let allowed = room.settings.allowed {
            guard let token = try fields.string("token"), allowed.contains(token) else {
                throw .unauthorized("not in the allowed list")
            }
        }
    }

    func joinPublisher(_ fields: JanusFields, handle: JanusHandle) async throws(VideoRoomError) -> Outcome {
        let roomID = try fields.requiredPositive("room")
        guard let room = self.rooms[roomID] else { throw .noSuchRoom(roomID) }
        try self.checkAdmission(room, fields)
        let display = try fields.string("display", maximumLength: 1024)
        let feedID: UInt64
        if let wanted = try fields.positive("id"), wanted > 0 {
            guard room.feeds[wanted] == nil else { throw .idExists(wanted) }
            feedID = wanted
        } else {
            feedID = self.freshID { room.feeds[$0] == nil }
        }
        let privateID = UInt64.random(in: 1...UInt64(UInt32.max))
        let feed = Feed(id: feedID, display: display, handle: handle.id, session: handle.session, privateID: privateID)
        // Taken before the wait, so that no other join takes the same id meanwhile.
        room.feeds[feedID] = feed
        handle.role = .publisher(room: roomID, feed: feedID)
        let participantID = feed.participantID
        do {
            try await self.server.withRoom(room.coreName) { core throws(SFUError) in
                _ = core.join(participantID: participantID, displayName: display)
            }
        } catch {
            room.feeds[feedID] = nil
            handle.role = .none
            throw Self.videoRoomError(error)
        }
        var joined: [String: JSONValue] = [
            "videoroom": "joined",
            "room": JSONValue(roomID),
            "description": .string(room.settings.description ?? "Room \(roomID)"),
            "id": JSONValue(feedID),
            "private_id": JSONValue(privateID),
            "publishers": .array(
                room.activeFeeds.filter { $0.id != feedID }.map {
                    $0.listing(talkingEvents: room.settings.audioLevelEvent)
                }
            ),
        ]
        if room.settings.notifyJoining {
            joined["attendees"] = .array(
                room.feeds.values.filter { $0.id != feedID && !$0.isActive }.sorted { $0.id < $1.id }.map { other in
                    var entry: [String: JSONValue] = ["id": JSONValue(other.id)]
                    if let display = other.display { entry["display"] = .string(display) }
                    return .object(entry)
                }
            )
            var joining: [String: JSONValue] = ["id": JSONValue(feedID)]
            if let display { joining["display"] = .string(display) }
            self.tellPublishers(
                in: room,
                except: feedID,
                ["videoroom": "event", "room": JSONValue(roomID), "joining": .object(joining)]
            )
        }
        return (.object(joined), nil)
    }

    func configurePublisher(
        _ fields: JanusFields,
        jsep: JSEP?,
        handle: JanusHandle,
        isPublish: Bool
    ) async throws(VideoRoomError) -> Outcome {
        guard case .publisher(let roomID, let feedID) = handle.role else { throw .joinFirst }
        let (room, feed) = try self.feed(roomID, feedID)
        if let display = try fields.string("display", maximumLength: 1024), display != feed.display {
            feed.display = display
            if feed.isActive {
                self.tellPublishers(
                    in: room,
                    except: feedID,
                    [
                        "videoroom": "event", "room": JSONValue(roomID), "id": JSONValue(feedID),
                        "display": .string(display),
                    ]
                )
            }
        }
        for description in try fields.objects("descriptions") ?? [] {
            let mid = try description.requiredString("mid", maximumLength: 64)
            feed.descriptions[mid] = try description.requiredString("description", maximumLength: 1024)
        }
        // What to send: the legacy audio/video booleans, or per-stream `send`.
        var sending: [(kind: String?, mid: String?, send: Bool)] = []
        if let audio = try fields.bool("audio") { sending.append(("audio", nil, audio)) }
        if let video = try fields.bool("video") { sending.append(("video", nil, video)) }
        for stream in try fields.objects("streams") ?? [] {
            let mid = try stream.requiredString("mid", maximumLength: 64)
            if let send = try stream.bool("send") { sending.append((nil, mid, send)) }
        }
        var answer: JSEP?
        var published = false
        if let jsep {
            guard jsep.type == "offer" else { throw .invalidRequest("Publishers send offers, not answers") }
            guard feed.tracks.isEmpty else {
                throw isPublish
                    ? .alreadyPublished : .invalidRequest("Renegotiating a published feed is not supported by SwiftSFU")
            }
            guard room.publishingCount < room.settings.maximumPublishers else {
                throw .publishersFull(room.settings.maximumPublishers)
            }
            let participantID = feed.participantID
            let offer = jsep.sdp
            let (sdp, tracks) = try await self.inCore(room) { core throws(SFUError) in
                let (answer, producers) = try core.publish(participantID: participantID, offer: offer)
                return (answer, producers.map(\.info))
            }
            guard self.rooms[roomID] === room, room.feeds[feedID] === feed else {
                throw .unknown("the participant left while publishing")
            }
            let mids = (try? SessionDescription(parsing: offer))?.media.map { $0.mid ?? "" } ?? []
            feed.tracks = tracks.map { (mids.firstIndex(of: $0.mid) ?? 0, $0) }.sorted { $0.0 < $1.0 }
            handle.firstMid = mids.first ?? "0"
            answer = JSEP(type: "answer", sdp: sdp)
            published = true
            await self.flushCandidates(of: handle)
        } else if isPublish {
            throw .invalidRequest("publish needs a JSEP offer")
        }
        try await self.applySending(sending, room: room, feed: feed)
        var data: [String: JSONValue] = ["videoroom": "event", "room": JSONValue(roomID), "configured": "ok"]
        if published {
            if let codec = feed.audioCodec { data["audio_codec"] = .string(codec) }
            if let codec = feed.videoCodec { data["video_codec"] = .string(codec) }
            data["streams"] = feed.streams
        }
        return (.object(data), answer)
    }

    /// Mutes or unmutes a publisher's tracks by kind or mid.
    func applySending(
        _ sending: [(kind: String?, mid: String?, send: Bool)],
        room: VideoRoomState,
        feed: Feed
    ) async throws(VideoRoomError) {
        guard !sending.isEmpty, !feed.tracks.isEmpty else { return }
        var changes: [(String, Bool)] = []
        for (kind, mid, send) in sending {
            for track in feed.tracks
            where (kind == nil || track.info.kind == kind) && (mid == nil || track.info.mid == mid) {
                changes.append((track.info.id, !send))
            }
        }
        let participantID = feed.participantID
        let requested = changes
        try await self.inCore(room) { core throws(SFUError) in
            for (trackID, muted) in requested {
                try core.setMuted(muted, participantID: participantID, trackID: trackID)
            }
        }
        for (trackID, muted) in changes {
            if let index = feed.tracks.firstIndex(where: { $0.info.id == trackID }) {
                feed.tracks[index].info.isMuted = muted
            }
        }
    }

    /// A publisher stops publishing: its tracks end, the others are told, and
    /// subscribers with `autoupdate` get a new offer without its streams.
    func unpublish(_ feed: Feed, in room: VideoRoomState, reason: String = "Close PC") async {
        let participantID = feed.participantID
        try? await self.server.withRoom(room.coreName) { core throws(SFUError) in
            try core.unpublish(participantID: participantID)
        }
        await self.feedEnded(feed, in: room)
        // Its peer connection is closed, as Janus tells it.
        self.handles[feed.handle]?.sentDescription = false
        self.deliver(
            JanusReplies.handleEvent("hangup", session: feed.session, handle: feed.handle, ["reason": .string(reason)]),
            to: feed.session
        )
    }

    /// What follows the end of a feed's media, whoever ended it.
    func feedEnded(_ feed: Feed, in room: VideoRoomState) async {
        let wasActive = feed.isActive
        let participantID = feed.participantID
        feed.tracks = []
        feed.isActive = false
        feed.isTalking = false
        self.handles[feed.handle]?.sentDescription = false
        if wasActive {
            self.tellPublishers(
                in: room,
                except: feed.id,
                ["videoroom": "event", "room": JSONValue(room.id), "unpublished": JSONValue(feed.id)]
            )
        }
        for subscription in room.subscribers.values.sorted(by: { $0.handle < $1.handle })
        where subscription.streams.contains(where: { $0.track.participantID == participantID }) {
            let gone = Set(subscription.streams.filter { $0.track.participantID == participantID }.map(\.mid))
            subscription.streams.removeAll { gone.contains($0.mid) }
            guard subscription.autoupdate, let handle = self.handles[subscription.handle] else { continue }
            if let (data, jsep) = try? await self.offer(
                to: subscription,
                in: room,
                adding: [],
                removing: gone,
                event: "updated"
            ) {
                self.deliver(
                    JanusReplies.plugin(
                        "event",
                        data: data,
                        session: handle.session,
                        handle: handle.id,
                        transaction: nil,
                        jsep: jsep.map { ["type": .string($0.type), "sdp": .string($0.sdp)] }
                    ),
                    to: handle.session
                )
            }
        }
    }

    func leavePublisher(_ handle: JanusHandle, room: VideoRoomState, feed: Feed, announcement: String) async {
        if !feed.tracks.isEmpty { await self.unpublish(feed, in: room) }
        room.feeds[feed.id] = nil
        handle.role = .none
        handle.pendingCandidates = []
        await self.server.leaveRoom(room.coreName, participantID: feed.participantID)
        let event: [String: JSONValue] = [
            "videoroom": "event", "room": JSONValue(room.id), .init(announcement): JSONValue(feed.id),
        ]
        self.tellPublishers(in: room, except: feed.id, .object(event))
    }

    // MARK: Subscribers

    /// A stream a subscriber asks for: a feed, and optionally one of its mids.
    struct StreamRequest {
        var feed: UInt64
        var mid: String?
    }

    func streamRequests(_ fields: JanusFields, key: String = "streams") throws(VideoRoomError) -> [StreamRequest]? {
        guard let streams = try fields.objects(key) else { return nil }
        return try streams.map { stream throws(VideoRoomError) in
            StreamRequest(feed: try stream.requiredPositive("feed"), mid: try stream.string("mid", maximumLength: 64))
        }
    }

    /// The tracks of the requested streams, in request order.
    func tracks(
        for requests: [StreamRequest],
        in room: VideoRoomState,
        kinds: Set<String> = ["audio", "video"]
    )
        throws(VideoRoomError) -> [TrackInfo]
    {
        var tracks: [TrackInfo] = []
        for request in requests {
            guard let feed = room.feeds[request.feed], !feed.tracks.isEmpty else { throw .noSuchFeed(request.feed) }
            let chosen = feed.tracks.map(\.info).filter {
                (request.mid == nil || $0.mid == request.mid) && kinds.contains($0.kind)
            }
            if let mid = request.mid, chosen.isEmpty {
                throw .invalidElement("mid", "a mid of feed \(request.feed) (\(mid) is not)")
            }
            tracks += chosen
        }
        return tracks
    }

    func joinSubscriber(_ fields: JanusFields, handle: JanusHandle) async throws(VideoRoomError) -> Outcome {
        let roomID = try fields.requiredPositive("room")
        guard let room = self.rooms[roomID] else { throw .noSuchRoom(roomID) }
        if let pin = room.settings.pin, try fields.string("pin") != pin { throw .unauthorized("wrong pin") }
        let privateID = try fields.positive("private_id")
        if room.settings.requirePrivateID, privateID.flatMap(room.feed(privateID:)) == nil {
            throw .unauthorized("this room requires a valid private_id")
        }
        let requests: [StreamRequest]
        var kinds: Set<String> = ["audio", "video"]
        var legacyFeed: UInt64?
        if let streams = try self.streamRequests(fields) {
            requests = streams
        } else if let feed = try fields.positive("feed") {
            requests = [StreamRequest(feed: feed)]
            legacyFeed = feed
            if try fields.bool("offer_audio") == false { kinds.remove("audio") }
            if try fields.bool("offer_video") == false { kinds.remove("video") }
        } else {
            throw .missing("streams")
        }
        let tracks = try self.tracks(for: requests, in: room, kinds: kinds)
        guard !tracks.isEmpty else { throw .invalidRequest("There is nothing to subscribe to") }
        let subscription = Subscription(
            handle: handle.id,
            session: handle.session,
            autoupdate: try fields.bool("autoupdate") ?? true,
            isLegacy: legacyFeed != nil
        )
        room.subscribers[handle.id] = subscription
        handle.role = .subscriber(room: roomID)
        let participantID = subscription.participantID
        do {
            try await self.server.withRoom(room.coreName) { core throws(SFUError) in
                _ = core.join(participantID: participantID)
            }
        } catch {
            room.subscribers[handle.id] = nil
            handle.role = .none
            throw Self.videoRoomError(error)
        }
        let outcome: Outcome
        do {
            outcome = try await self.offer(
                to: subscription,
                in: room,
                adding: tracks.map(\.id),
                removing: [],
                event: "attached"
            )
        } catch {
            await self.leaveSubscriber(handle, room: room, subscription: subscription)
            handle.role = .none
            throw error
        }
        guard let legacyFeed, case .object(var data) = outcome.data, let feed = room.feeds[legacyFeed] else {
            return outcome
        }
        data["id"] = JSONValue(legacyFeed)
        if let display = feed.display { data["display"] = .string(display) }
        data["warning"] = "deprecated_api"
        return (.object(data), outcome.jsep)
    }

    /// Makes the core offer the subscriber its streams with `adding` added and the
    /// sections `removing` stopped; the reply names every stream it sends.
    func offer(
        to subscription: Subscription,
        in room: VideoRoomState,
        adding trackIDs: [String],
        removing mids: Set<String>,
        event: String
    ) async throws(VideoRoomError) -> Outcome {
        let participantID = subscription.participantID
        let offer = try await self.inCore(room) { core throws(SFUError) in
            try core.offerSubscription(participantID: participantID, adding: trackIDs, removingMids: mids)
        }
        subscription.streams = offer.tracks
        subscription.awaitingAnswer = true
        if let handle = self.handles[subscription.handle] {
            handle.firstMid = offer.tracks.min { $0.mindex < $1.mindex }?.mid ?? "0"
        }
        return (
            [
                "videoroom": .string(event), "room": JSONValue(room.id),
                "streams": .array(offer.tracks.map { self.describe($0, in: room, paused: subscription.isPaused) }),
            ],
            JSEP(type: "offer", sdp: offer.sdp)
        )
    }

    /// One stream of `attached`, `updated` and `switched`.
    func describe(_ stream: SubscribedTrack, in room: VideoRoomState, paused: Bool) -> JSONValue {
        var entry: [String: JSONValue] = [
            "type": .string(stream.track.kind), "active": true, "mindex": JSONValue(stream.mindex),
            "mid": .string(stream.mid), "ready": false, "send": .bool(!paused),
            "feed_mid": .string(stream.track.mid), "codec": .string(stream.track.codec),
        ]
        if let feedID = UInt64(stream.track.participantID) {
            entry["feed_id"] = JSONValue(feedID)
            if let display = room.feeds[feedID]?.display { entry["feed_display"] = .string(display) }
        }
        return .object(entry)
    }

    func start(
        _ fields: JanusFields,
        jsep: JSEP?,
        handle: JanusHandle,
        room roomID: UInt64
    ) async throws(VideoRoomError)
        -> Outcome
    {
        let (room, subscription) = try self.subscription(roomID, handle)
        if let jsep {
            guard jsep.type == "answer" else { throw .onlyPublishersOffer }
            let participantID = subscription.participantID
            let answer = jsep.sdp
            let streams = try await self.inCore(room) { core throws(SFUError) in
                try core.acceptSubscriptionAnswer(participantID: participantID, answer: answer)
                return core.subscription(of: participantID)
            }
            subscription.streams = streams
            subscription.awaitingAnswer = false
            await self.flushCandidates(of: handle)
        }
        if subscription.isPaused || jsep == nil {
            try await self.pause(false, room: room, subscription: subscription, mids: nil)
            subscription.isPaused = false
        }
        return (["videoroom": "event", "room": JSONValue(roomID), "started": "ok"], nil)
    }

    func pause(
        _ paused: Bool,
        room: VideoRoomState,
        subscription: Subscription,
        mids: Set<String>?
    ) async throws(VideoRoomError) {
        let participantID = subscription.participantID
        try await self.inCore(room) { core throws(SFUError) in
            try core.setSubscriptionPaused(paused, participantID: participantID, mids: mids)
        }
    }

    func configureSubscriber(
        _ fields: JanusFields,
        handle: JanusHandle,
        room roomID: UInt64
    ) async throws(VideoRoomError)
        -> Outcome
    {
        let (room, subscription) = try self.subscription(roomID, handle)
        var changes: [(mids: Set<String>, send: Bool)] = []
        for (kind, key) in [("audio", "audio"), ("video", "video")] {
            if let send = try fields.bool(key) {
                changes.append((Set(subscription.streams.filter { $0.track.kind == kind }.map(\.mid)), send))
            }
        }
        for stream in try fields.objects("streams") ?? [] {
            let mid = try stream.requiredString("mid", maximumLength: 64)
            guard subscription.streams.contains(where: { $0.mid == mid }) else {
                throw .invalidElement("mid", "a mid of this subscription (\(mid) is not)")
            }
            // Simulcast and SVC layer choices are accepted; every layer but the one a
            // track was bound to is dropped (docs/janus.md).
            _ = try stream.integer("substream")
            _ = try stream.integer("temporal")
            if let send = try stream.bool("send") { changes.append(([mid], send)) }
        }
        for change in changes where !change.mids.isEmpty {
            try await self.pause(!change.send, room: room, subscription: subscription, mids: change.mids)
        }
        return (["videoroom": "event", "room": JSONValue(roomID), "configured": "ok"], nil)
    }

    func updateSubscription(
        _ request: String,
        _ fields: JanusFields,
        handle: JanusHandle,
        room roomID: UInt64
    )
        async throws(VideoRoomError) -> Outcome
    {
        let (room, subscription) = try self.subscription(roomID, handle)
        let adding: [StreamRequest]
        let removing: [JanusFields]
        switch request {
        case "subscribe":
            guard let streams = try self.streamRequests(fields) else { throw .missing("streams") }
            adding = streams
            removing = []
        case "unsubscribe":
            guard let streams = try fields.objects("streams") else { throw .missing("streams") }
            adding = []
            removing = streams
        default:
            adding = try self.streamRequests(fields, key: "subscribe") ?? []
            removing = try fields.objects("unsubscribe") ?? []
            guard fields.has("subscribe") || fields.has("unsubscribe") else { throw .missing("subscribe") }
        }
        var mids: Set<String> = []
        for stream in removing {
            if let mid = try stream.string("sub_mid", maximumLength: 64) {
                mids.insert(mid)
            } else {
                let feed = try stream.requiredPositive("feed")
                let mid = try stream.string("mid", maximumLength: 64)
                for subscribed in subscription.streams
                where subscribed.track.participantID == String(feed) && (mid == nil || subscribed.track.mid == mid) {
                    mids.insert(subscribed.mid)
                }
            }
        }
        let already = Set(subscription.streams.map(\.track.id))
        let tracks = try self.tracks(for: adding, in: room).filter { !already.contains($0.id) }
        return try await self.offer(
            to: subscription,
            in: room,
            adding: tracks.map(\.id),
            removing: mids,
            event: "updated"
        )
    }

    func switchStreams(
        _ fields: JanusFields,
        handle: JanusHandle,
        room roomID: UInt64
    ) async throws(VideoRoomError)
        -> Outcome
    {
        let (room, subscription) = try self.subscription(roomID, handle)
        guard let streams = try fields.objects("streams") else { throw .missing("streams") }
        var switches: [(mid: String, trackID: String)] = []
        for stream in streams {
            let feedID = try stream.requiredPositive("feed")
            let mid = try stream.requiredString("mid", maximumLength: 64)
            let subMid = try stream.requiredString("sub_mid", maximumLength: 64)
            guard let feed = room.feeds[feedID], let track = feed.tracks.first(where: { $0.info.mid == mid }) else {
                throw .noSuchFeed(feedID)
            }
            guard subscription.streams.contains(where: { $0.mid == subMid }) else {
                throw .invalidElement("sub_mid", "a mid of this subscription (\(subMid) is not)")
            }
            switches.append((subMid, track.info.id))
        }
        let participantID = subscription.participantID
        let requested = switches
        let current = try await self.inCore(room) { core throws(SFUError) in
            for (mid, trackID) in requested {
                try core.switchSubscription(participantID: participantID, mid: mid, to: trackID)
            }
            return core.subscription(of: participantID)
        }
        subscription.streams = current
        return (
            [
                "videoroom": "event", "switched": "ok", "room": JSONValue(roomID), "changes": JSONValue(switches.count),
                "streams": .array(current.map { self.describe($0, in: room, paused: subscription.isPaused) }),
            ],
            nil
        )
    }

    func leaveSubscriber(_ handle: JanusHandle, room: VideoRoomState, subscription: Subscription) async {
        room.subscribers[handle.id] = nil
        handle.pendingCandidates = []
        handle.sentDescription = false
        await self.server.leaveRoom(room.coreName, participantID: subscription.participantID)
    }

    // MARK: Detach and hangup

    /// Ends a handle: it leaves its room, its peer connection closes, and it is gone.
    func detach(_ handleID: UInt64, reason: String?) async {
        guard let handle = self.handles[handleID] else { return }
        handle.isDetached = true
        // A peer connection that was set up is hung up first (an offer never answered
        // set none up).
        var hadPeerConnection = false
        if let (_, _, role) = self.peerConnection(of: handle) {
            hadPeerConnection =
                role == .publish
                || (handle.room.flatMap { self.rooms[$0]?.subscribers[handle.id]?.awaitingAnswer } == false)
        }
        await self.leaveRole(of: handle)
        if reason != nil {
            if hadPeerConnection {
                self.deliver(
                    JanusReplies.handleEvent("hangup", session: handle.session, handle: handleID, ["reason": "Detach"]),
                    to: handle.session
                )
            }
            self.deliver(
                JanusReplies.handleEvent("detached", session: handle.session, handle: handleID),
                to: handle.session
            )
        }
        self.handles[handleID] = nil
        self.sessions[handle.session]?.handles.remove(handleID)
        for id in self.connections.keys { self.connections[id]?.implicitHandles.removeAll { $0 == handleID } }
    }

    func leaveRole(of handle: JanusHandle) async {
        switch handle.role {
        case .publisher(let roomID, let feedID):
            if let room = self.rooms[roomID], let feed = room.feeds[feedID] {
                await self.leavePublisher(handle, room: room, feed: feed, announcement: "leaving")
            }
        case .subscriber(let roomID):
            if let room = self.rooms[roomID], let subscription = room.subscribers[handle.id] {
                await self.leaveSubscriber(handle, room: room, subscription: subscription)
            }
        case .none:
            break
        }
        handle.role = .none
    }

    /// Closes the handle's peer connection; the handle stays (Janus's `hangup`).
    func hangUp(_ handle: JanusHandle, reason: String) async {
        guard self.peerConnection(of: handle) != nil else { return }
        switch handle.role {
        case .publisher(let roomID, let feedID):
            // Unpublishing tells the handle its peer connection closed.
            if let room = self.rooms[roomID], let feed = room.feeds[feedID] {
                await self.unpublish(feed, in: room, reason: reason)
                return
            }
        case .subscriber(let roomID):
            if let room = self.rooms[roomID], let subscription = room.subscribers[handle.id] {
                await self.leaveSubscriber(handle, room: room, subscription: subscription)
            }
            handle.role = .none
        case .none:
            break
        }
        self.deliver(
            JanusReplies.handleEvent("hangup", session: handle.session, handle: handle.id, ["reason": .string(reason)]),
            to: handle.session
        )
    }

    // MARK: Telling participants

    /// A plugin event, outside any transaction, to one handle.
    func tell(handle handleID: UInt64, _ data: JSONValue) {
        guard let handle = self.handles[handleID] else { return }
        self.deliver(
            JanusReplies.plugin("event", data: data, session: handle.session, handle: handleID, transaction: nil),
            to: handle.session
        )
    }

    /// A plugin event to every publisher-type participant of a room but one.
    func tellPublishers(in room: VideoRoomState, except: UInt64?, _ data: JSONValue) {
        for feed in room.feeds.values.sorted(by: { $0.id < $1.id }) where feed.id != except {
            self.tell(handle: feed.handle, data)
        }
    }

    /// Runs `body` with the room's core room on its worker; the core's refusals become
    /// VideoRoom errors.
    func inCore<T: Sendable>(
        _ room: VideoRoomState,
        _ body: @escaping @Sendable (Room) throws(SFUError) -> T
    ) async throws(VideoRoomError) -> T {
        do {
            return try await self.server.withRoom(room.coreName, body)
        } catch {
            throw Self.videoRoomError(error)
        }
    }

    static func videoRoomError(_ error: SFUError) -> VideoRoomError {
        switch error {
        case .negotiation(let detail): .invalidSDP(detail)
        case .roomFull(let maximum): .publishersFull(maximum)
        case .unknownRoom: .unknown("the room closed")
        case .unauthorized(let detail): .unauthorized(detail)
        default: .unknown(error.description)
        }
    }
}
