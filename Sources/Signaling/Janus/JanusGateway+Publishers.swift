import SFU

/// Publisher-type participants: join, publish (configure with an offer), mute by kind
/// or stream, unpublish, leave.
extension JanusGateway {
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
        feed.recordingWanted = room.settings.record
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
        if let record = try fields.bool("record") {
            if room.settings.lockRecord, let secret = room.settings.secret, try fields.string("secret") != secret {
                throw .unauthorized("recording is locked in this room")
            }
            feed.recordingWanted = record
        }
        if let filename = try fields.string("filename", maximumLength: 255) {
            guard !filename.isEmpty, !filename.contains("/"), filename != ".", filename != ".." else {
                throw .invalidElement("filename", "a file name without a folder")
            }
            feed.recordingFilename = filename
        }
        var answer: JSEP?
        var published = false
        if let jsep {
            guard jsep.type == "offer" else { throw .invalidRequest("Publishers send offers, not answers") }
            let renegotiating = !feed.tracks.isEmpty
            if renegotiating, isPublish { throw .alreadyPublished }
            guard renegotiating || room.publishingCount < room.settings.maximumPublishers else {
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
            let before = Set(feed.tracks.map(\.info.id))
            let mids = jsep.mids
            feed.tracks = tracks.map { (mids.firstIndex(of: $0.mid) ?? 0, $0) }.sorted { $0.0 < $1.0 }
            // As Janus: SVC for VP9 and AV1 only.
            feed.svcMids = jsep.svcMids.filter { mid in
                tracks.contains { $0.mid == mid && ["vp9", "av1"].contains($0.codec.lowercased()) }
            }
            handle.firstMid = mids.first ?? "0"
            answer = JSEP(type: "answer", sdp: sdp)
            published = true
            if renegotiating {
                await self.tracksChanged(of: feed, in: room, before: before)
            } else {
                await self.flushCandidates(of: handle)
            }
        } else if isPublish {
            throw .invalidRequest("publish needs a JSEP offer")
        }
        try await self.applySending(sending, room: room, feed: feed)
        await self.updateRecording(of: feed, in: room)
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

    /// After a renegotiation of a live feed: others are told its new streams, and
    /// subscribers lose the ones that ended. A recording of the feed starts again with
    /// its tracks as they are now (the core stopped it).
    func tracksChanged(of feed: Feed, in room: VideoRoomState, before: Set<String>) async {
        let now = Set(feed.tracks.map(\.info.id))
        guard now != before else { return }
        if feed.isActive {
            self.tellPublishers(
                in: room,
                except: feed.id,
                [
                    "videoroom": "event", "room": JSONValue(room.id),
                    "publishers": [feed.listing(talkingEvents: room.settings.audioLevelEvent)],
                ]
            )
        }
        await self.dropStreams(of: before.subtracting(now), in: room)
        if feed.isRecorded {
            feed.isRecorded = false
            await self.updateRecording(of: feed, in: room)
        }
    }

    /// Subscribers stop receiving tracks that ended: those with `autoupdate` get a new
    /// offer without them (`updated`).
    func dropStreams(of trackIDs: Set<String>, in room: VideoRoomState) async {
        guard !trackIDs.isEmpty else { return }
        for subscription in room.subscribers.values.sorted(by: { $0.handle < $1.handle })
        where subscription.streams.contains(where: { trackIDs.contains($0.track.id) }) {
            let gone = Set(subscription.streams.filter { trackIDs.contains($0.track.id) }.map(\.mid))
            subscription.streams.removeAll { gone.contains($0.mid) }
            guard subscription.autoupdate else { continue }
            if let (data, jsep) = try? await self.offer(
                to: subscription,
                in: room,
                adding: [],
                removing: gone,
                event: "updated"
            ) {
                self.tell(handle: subscription.handle, data, jsep: jsep)
            }
        }
    }

    /// What follows the end of a feed's media, whoever ended it.
    func feedEnded(_ feed: Feed, in room: VideoRoomState) async {
        let wasActive = feed.isActive
        let ended = Set(feed.tracks.map(\.info.id))
        feed.tracks = []
        feed.svcMids = []
        // The core stopped its recording with its tracks.
        feed.isRecorded = false
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
        await self.dropStreams(of: ended, in: room)
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
}
