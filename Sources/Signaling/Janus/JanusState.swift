import NIOCore
import SFU

/// A Janus session: its handles, and where its events go (a WebSocket, or a queue that
/// long polls take from). Owned by the gateway actor.
final class JanusSession {
    let id: UInt64
    var handles: Set<UInt64> = []
    var lastActivity = ContinuousClock.now
    /// The WebSocket its events are pushed on; `nil` for an HTTP session (or one whose
    /// WebSocket closed and that waits for a `claim`).
    var connection: UInt64?
    /// The address that made it, which it counts against (`ClientLimits`).
    let address: SocketAddress?
    /// When the WebSocket closed, for `reclaim_session_timeout`.
    var orphanedAt: ContinuousClock.Instant?
    /// Events waiting for a long poll, oldest first, bounded.
    var queue: [JSONValue] = []
    var polls: [UInt64: CheckedContinuation<[JSONValue], Never>] = [:]
    /// Made by the server for a WebSocket that sends requests without ids (the seed-002
    /// extension): it lives as long as the connection and never times out.
    let isImplicit: Bool

    static let queueLimit = 1024

    init(id: UInt64, connection: UInt64?, address: SocketAddress? = nil, isImplicit: Bool = false) {
        self.id = id
        self.connection = connection
        self.address = address
        self.isImplicit = isImplicit
    }
}

/// A handle: one VideoRoom role (publisher or subscriber) and at most one peer
/// connection.
final class JanusHandle {
    enum Role {
        case none
        case publisher(room: UInt64, feed: UInt64)
        case subscriber(room: UInt64)
    }

    let id: UInt64
    let session: UInt64
    let opaqueID: String?
    /// The address its session counts against, which the handle counts against too.
    let address: SocketAddress?
    var role = Role.none
    /// The core participant the handle's peer connection belongs to.
    var participantID: String?
    /// Candidates trickled before there was a peer connection to add them to.
    var pendingCandidates: [String] = []
    /// Whether an SDP went to the client; later server candidates are trickled.
    var sentDescription = false
    /// The mid candidates are trickled for (the first bundled section).
    var firstMid = "0"
    /// The handle's asynchronous requests run one after another, in order.
    var queue: Task<Void, Never>?
    var isDetached = false

    init(id: UInt64, session: UInt64, opaqueID: String?, address: SocketAddress? = nil) {
        self.id = id
        self.session = session
        self.opaqueID = opaqueID
        self.address = address
    }

    var room: UInt64? {
        switch self.role {
        case .none: nil
        case .publisher(let room, _), .subscriber(let room): room
        }
    }
}

/// A VideoRoom room as the face keeps it: settings and participants; the media lives in
/// the core room of the same id.
final class VideoRoomState {
    let id: UInt64
    var settings: VideoRoomSettings
    /// Publisher-type participants (joined, publishing or not), by feed id.
    var feeds: [UInt64: Feed] = [:]
    /// Subscriber handles in the room.
    var subscribers: [UInt64: Subscription] = [:]

    init(id: UInt64, settings: VideoRoomSettings) {
        self.id = id
        self.settings = settings
    }

    var coreName: String { Self.coreName(self.id) }

    static func coreName(_ id: UInt64) -> String { "videoroom/\(id)" }

    /// Feeds whose media is up, as `publishers` lists them.
    var activeFeeds: [Feed] { self.feeds.values.filter(\.isActive).sorted { $0.id < $1.id } }

    var publishingCount: Int { self.feeds.values.filter { !$0.tracks.isEmpty }.count }

    /// The feed a subscriber's `private_id` names, if any.
    func feed(privateID: UInt64) -> Feed? { self.feeds.values.first { $0.privateID == privateID } }
}

/// A publisher-type participant.
final class Feed {
    let id: UInt64
    var display: String?
    let handle: UInt64
    let session: UInt64
    let privateID: UInt64
    /// Published tracks, by mindex order, with the mindex each had in the offer.
    var tracks: [(mindex: Int, info: TrackInfo)] = []
    var descriptions: [String: String] = [:]
    /// Its video sections sent in SVC, as its offer's JSEP said.
    var svcMids: Set<String> = []
    /// Whether it is to be recorded while it publishes (the room's `record` when it
    /// joined, then its own `configure`s and the room's `enable_recording`), under which
    /// name, and whether a recording runs.
    var recordingWanted = false
    var recordingFilename: String?
    var isRecorded = false
    /// Whether its peer connection is up (others were told it publishes).
    var isActive = false
    var isTalking = false
    var audioCodec: String? { self.tracks.first { $0.info.kind == "audio" }?.info.codec }
    var videoCodec: String? { self.tracks.first { $0.info.kind == "video" }?.info.codec }

    init(id: UInt64, display: String?, handle: UInt64, session: UInt64, privateID: UInt64) {
        self.id = id
        self.display = display
        self.handle = handle
        self.session = session
        self.privateID = privateID
    }

    var participantID: String { String(self.id) }

    /// The `streams` of `publishers` and `configured` events.
    var streams: JSONValue {
        .array(
            self.tracks.map { track in
                var stream: [String: JSONValue] = [
                    "type": .string(track.info.kind), "mindex": JSONValue(track.mindex),
                    "mid": .string(track.info.mid), "codec": .string(track.info.codec),
                ]
                if let description = self.descriptions[track.info.mid] {
                    stream["description"] = .string(description)
                }
                if track.info.isMuted { stream["moderated"] = true }
                if track.info.simulcastStreams != nil { stream["simulcast"] = true }
                if self.svcMids.contains(track.info.mid) { stream["svc"] = true }
                return .object(stream)
            }
        )
    }

    /// One entry of a `publishers` list.
    func listing(talkingEvents: Bool) -> JSONValue {
        var entry: [String: JSONValue] = ["id": JSONValue(self.id), "streams": self.streams]
        if let display = self.display { entry["display"] = .string(display) }
        if let codec = self.audioCodec { entry["audio_codec"] = .string(codec) }
        if let codec = self.videoCodec { entry["video_codec"] = .string(codec) }
        if talkingEvents { entry["talking"] = .bool(self.isTalking) }
        return .object(entry)
    }
}

/// A subscriber handle's peer connection: the sections it receives.
final class Subscription {
    let handle: UInt64
    let session: UInt64
    var streams: [SubscribedTrack] = []
    /// Whether the last offer sent waits for its answer (`start`).
    var awaitingAnswer = false
    /// Layers asked for with streams of that offer (`join` or `subscribe` with
    /// `substream`, ...): set on their sections once the answer has made them.
    var pendingLayers: [LayerChoice] = []
    var isPaused = false
    let autoupdate: Bool
    /// Joined with the legacy `feed` form: replies carry the deprecated fields.
    let isLegacy: Bool

    init(handle: UInt64, session: UInt64, autoupdate: Bool, isLegacy: Bool) {
        self.handle = handle
        self.session = session
        self.autoupdate = autoupdate
        self.isLegacy = isLegacy
    }

    var participantID: String { "subscriber/\(self.handle)" }
}
