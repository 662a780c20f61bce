import Logging
import SDP
import SFU

/// The `janus.plugin.videoroom` requests: synchronous ones answered in the `success`,
/// asynchronous ones acknowledged and answered by an `event` on the session.
extension JanusGateway {
    static let synchronousRequests: Set<String> = [
        "create", "edit", "destroy", "exists", "list", "listparticipants", "allowed", "kick", "moderate",
        "enable_recording", "listforwarders",
    ]
    /// Janus requests SwiftSFU does not implement; they get a clear 423.
    static let unsupportedRequests: Set<String> = [
        "rtp_forward", "stop_rtp_forward", "add_remote_publisher",
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
        /// The mids of its media sections, in order (read when the SDP was checked).
        var mids: [String] = []
        /// The sections janus.js says it sends in SVC (`"svc": [{"mindex": 1, "mid": "1",
        /// "svc": "L3T3_KEY"}]` beside the SDP, as Janus 1.x reads it).
        var svcMids: Set<String> = []
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
        let mids: [String]
        do {
            mids = try SessionDescription(parsing: sdp).media.map { $0.mid ?? "" }
        } catch {
            throw .invalidSDP("\(error)")
        }
        return JSEP(type: type, sdp: sdp, mids: mids, svcMids: Self.svcMids(object["svc"], mids: mids))
    }

    /// The mids an offer's `svc` list names, by `mid` or by `mindex`; as Janus, entries
    /// it cannot place are left out, not refused.
    static func svcMids(_ value: JSONValue?, mids: [String]) -> Set<String> {
        guard let entries = value?.arrayValue else { return [] }
        var named: Set<String> = []
        for entry in entries.prefix(mids.count) {
            if let mid = entry["mid"]?.stringValue, mids.contains(mid) {
                named.insert(mid)
            } else if let mindex = entry["mindex"]?.intValue, mids.indices.contains(mindex) {
                named.insert(mids[mindex])
            }
        }
        return named
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

    // MARK: Asynchronous requests

    func asynchronous(
        _ request: String,
        _ fields: JanusFields,
        jsep: JSEP?,
        handle: JanusHandle
    ) async throws(VideoRoomError) -> Outcome {
        switch (request, handle.role) {
        case ("join", .none), ("joinandconfigure", .none):
            guard !self.server.isDraining else { throw .draining }
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

    // MARK: Detach and hangup

    /// Ends a handle: it leaves its room, its peer connection closes, and it is gone;
    /// `telling` sends the client `hangup` and `detached` (a destroyed session is not told).
    func detach(_ handleID: UInt64, telling: Bool) async {
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
        if telling {
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
        // Once only, should two detaches interleave at the role's leaving above.
        if self.handles.removeValue(forKey: handleID) != nil { self.limits?.close(.handle, from: handle.address) }
        self.sessions[handle.session]?.handles.remove(handleID)
        if let connection = self.sessions[handle.session]?.connection {
            self.connections[connection]?.implicitHandles.removeAll { $0 == handleID }
        }
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
    func tell(handle handleID: UInt64, _ data: JSONValue, jsep: JSEP? = nil) {
        guard let handle = self.handles[handleID] else { return }
        self.deliver(
            JanusReplies.plugin(
                "event",
                data: data,
                session: handle.session,
                handle: handleID,
                transaction: nil,
                jsep: jsep.map { ["type": .string($0.type), "sdp": .string($0.sdp)] }
            ),
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
        case .subscribersFull(let maximum): .subscribersFull(maximum)
        case .unknownRoom: .unknown("the room closed")
        case .unauthorized(let detail): .unauthorized(detail)
        default: .unknown(error.description)
        }
    }
}
