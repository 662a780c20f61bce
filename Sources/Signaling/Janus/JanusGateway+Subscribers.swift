import SFU

/// Subscriber handles: their peer connection's streams, offered by the server, answered
/// with `start`, paused, changed and switched.
extension JanusGateway {
    /// A stream a subscriber asks for: a feed, and optionally one of its mids.
    struct StreamRequest {
        var feed: UInt64
        var mid: String?
        /// The layers asked for with the stream (`substream`, `temporal`, ...).
        var layers: LayerChoice?
    }

    func streamRequests(_ fields: JanusFields, key: String = "streams") throws(VideoRoomError) -> [StreamRequest]? {
        guard let streams = try fields.objects(key) else { return nil }
        return try streams.map { stream throws(VideoRoomError) in
            StreamRequest(
                feed: try stream.requiredPositive("feed"),
                mid: try stream.string("mid", maximumLength: 64),
                layers: try LayerChoice(stream)
            )
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
        try await self.applyLayers(of: requests, to: subscription, in: room)
        guard let legacyFeed, case .object(var data) = outcome.data, let feed = room.feeds[legacyFeed] else {
            return outcome
        }
        data["id"] = JSONValue(legacyFeed)
        if let display = feed.display { data["display"] = .string(display) }
        data["warning"] = "deprecated_api"
        return (.object(data), outcome.jsep)
    }

    /// Sets the layers the requests asked for on the subscriber's sections of their feeds;
    /// while the offer that adds them waits for its answer, once `start` has it.
    func applyLayers(
        of requests: [StreamRequest],
        to subscription: Subscription,
        in room: VideoRoomState
    ) async throws(VideoRoomError) {
        var choices: [LayerChoice] = []
        for request in requests {
            guard let layers = request.layers else { continue }
            for stream in subscription.streams
            where stream.track.participantID == String(request.feed) && stream.track.kind == "video"
                && (request.mid == nil || stream.track.mid == request.mid)
            {
                choices.append(LayerChoice(mid: stream.mid, spatial: layers.spatial, temporal: layers.temporal))
            }
        }
        if subscription.awaitingAnswer {
            subscription.pendingLayers += choices
        } else {
            try await self.setLayers(choices, of: subscription, in: room)
        }
    }

    /// Hands the subscriber's layer choices to the core, each for its section (or all).
    func setLayers(
        _ choices: [LayerChoice],
        of subscription: Subscription,
        in room: VideoRoomState
    ) async throws(VideoRoomError) {
        let participantID = subscription.participantID
        for choice in choices {
            try await self.inCore(room) { core throws(SFUError) in
                if let spatial = choice.spatial {
                    try core.setPreferredSpatialLayer(spatial, participantID: participantID, mid: choice.mid)
                }
                if let temporal = choice.temporal {
                    try core.setPreferredTemporalLayer(temporal, participantID: participantID, mid: choice.mid)
                }
            }
        }
    }

    /// Makes the core offer the subscriber its streams with `adding` added and the
    /// sections `removing` stopped, or (`restart`) the same streams with new ICE
    /// credentials; the reply names every stream it sends.
    func offer(
        to subscription: Subscription,
        in room: VideoRoomState,
        adding trackIDs: [String] = [],
        removing mids: Set<String> = [],
        restart: Bool = false,
        event: String
    ) async throws(VideoRoomError) -> Outcome {
        let participantID = subscription.participantID
        let offer = try await self.inCore(room) { core throws(SFUError) in
            restart
                ? try core.restartSubscription(participantID: participantID)
                : try core.offerSubscription(participantID: participantID, adding: trackIDs, removingMids: mids)
        }
        subscription.streams = offer.tracks
        subscription.awaitingAnswer = true
        if let handle = self.handles[subscription.handle] {
            handle.firstMid = offer.tracks.min { $0.mindex < $1.mindex }?.mid ?? "0"
        }
        var data: [String: JSONValue] = [
            "videoroom": .string(event), "room": JSONValue(room.id),
            "streams": .array(offer.tracks.map { self.describe($0, in: room, paused: subscription.isPaused) }),
        ]
        if restart { data["restart"] = true }
        return (.object(data), JSEP(type: "offer", sdp: offer.sdp))
    }

    /// One stream of `attached`, `updated` and `switched`.
    func describe(_ stream: SubscribedTrack, in room: VideoRoomState, paused: Bool) -> JSONValue {
        var entry: [String: JSONValue] = [
            "type": .string(stream.track.kind), "active": true, "mindex": JSONValue(stream.mindex),
            "mid": .string(stream.mid), "ready": false, "send": .bool(!paused),
            "feed_mid": .string(stream.track.mid), "codec": .string(stream.track.codec),
        ]
        if stream.track.simulcastStreams != nil {
            // As Janus 1.x: nothing forwarded yet, the highest layers as targets.
            entry["simulcast"] = [
                "substream": -1, "substream-target": 2, "temporal-layer": -1, "temporal-layer-target": 2,
            ]
        }
        if let feedID = UInt64(stream.track.participantID) {
            entry["feed_id"] = JSONValue(feedID)
            if let display = room.feeds[feedID]?.display { entry["feed_display"] = .string(display) }
            if room.feeds[feedID]?.svcMids.contains(stream.track.mid) == true {
                entry["svc"] = [
                    "spatial-layer": -1, "target-spatial-layer": 2, "temporal-layer": -1, "target-temporal-layer": 2,
                ]
            }
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
            // A section the answer rejected has no consumer to take its layers.
            let pending = subscription.pendingLayers
            subscription.pendingLayers = []
            for choice in pending { try? await self.setLayers([choice], of: subscription, in: room) }
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
        for kind in ["audio", "video"] {
            if let send = try fields.bool(kind) {
                changes.append((Set(subscription.streams.filter { $0.track.kind == kind }.map(\.mid)), send))
            }
        }
        // Layer choices per stream, as Janus 1.x takes them: in `streams`, or at the top
        // level with its `mid` (janus.js's simulcast demo), or for every stream.
        var choices: [LayerChoice] = []
        if var choice = try LayerChoice(fields) {
            choice.mid = try fields.string("mid", maximumLength: 64)
            if let mid = choice.mid, !subscription.streams.contains(where: { $0.mid == mid }) {
                throw .invalidElement("mid", "a mid of this subscription (\(mid) is not)")
            }
            choices.append(choice)
        }
        for stream in try fields.objects("streams") ?? [] {
            let mid = try stream.requiredString("mid", maximumLength: 64)
            guard subscription.streams.contains(where: { $0.mid == mid }) else {
                throw .invalidElement("mid", "a mid of this subscription (\(mid) is not)")
            }
            if var choice = try LayerChoice(stream) {
                choice.mid = mid
                choices.append(choice)
            }
            if let send = try stream.bool("send") { changes.append(([mid], send)) }
        }
        for change in changes where !change.mids.isEmpty {
            try await self.pause(!change.send, room: room, subscription: subscription, mids: change.mids)
        }
        try await self.setLayers(choices, of: subscription, in: room)
        // An ICE restart: a new offer of the same streams with new credentials.
        let jsep =
            try fields.bool("restart") == true
            ? try await self.offer(to: subscription, in: room, restart: true, event: "updated").jsep : nil
        return (["videoroom": "event", "room": JSONValue(roomID), "configured": "ok"], jsep)
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
        let outcome = try await self.offer(
            to: subscription,
            in: room,
            adding: tracks.map(\.id),
            removing: mids,
            event: "updated"
        )
        try await self.applyLayers(of: adding, to: subscription, in: room)
        return outcome
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
}

/// A subscriber's layer choice for one stream (or every stream), as Janus 1.x's
/// `configure` takes it: `substream` and `temporal` for simulcast, `spatial_layer` and
/// `temporal_layer` for SVC (here: the same preferences), `fallback` accepted (a stream
/// the publisher stops is left within a second whatever it says).
struct LayerChoice {
    var mid: String?
    var spatial: Int?
    var temporal: Int?

    init(mid: String?, spatial: Int?, temporal: Int?) {
        self.mid = mid
        self.spatial = spatial
        self.temporal = temporal
    }

    /// The choice in `fields`, or `nil` when they make none.
    init?(_ fields: JanusFields) throws(VideoRoomError) {
        let substream = try Self.layer("substream", fields)
        let spatialLayer = try Self.layer("spatial_layer", fields)
        let temporal = try Self.layer("temporal", fields)
        let temporalLayer = try Self.layer("temporal_layer", fields)
        self.spatial = substream ?? spatialLayer
        self.temporal = temporal ?? temporalLayer
        if let fallback = try fields.integer("fallback"), fallback < 0 {
            throw .invalidElement("fallback", "a number of microseconds, 0 or more")
        }
        guard self.spatial != nil || self.temporal != nil else { return nil }
    }

    static func layer(_ name: String, _ fields: JanusFields) throws(VideoRoomError) -> Int? {
        guard let layer = try fields.integer(name) else { return nil }
        guard (0...2).contains(layer) else { throw .invalidElement(name, "0, 1 or 2") }
        return layer
    }
}
