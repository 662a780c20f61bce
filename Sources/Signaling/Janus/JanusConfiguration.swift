/// How the Janus face behaves: the settings of `janus.jcfg` and
/// `janus.plugin.videoroom.jcfg` that SwiftSFU honours (docs/janus.md maps them).
public struct JanusConfiguration: Sendable {
    /// `api_secret`: every request must carry it as `apisecret`.
    public var apiSecret: String?
    /// `token_auth` with its stored tokens: every request must carry one as `token`.
    /// Either this or `apiSecret` admits a request when both are set, as in Janus.
    public var tokens: Set<String>?
    /// `admin_secret`: the Admin API exists only with one, and every admin request must
    /// carry it.
    public var adminSecret: String?
    /// The VideoRoom's `admin_key`: `create` must carry it.
    public var adminKey: String?
    /// `session_timeout`: a session with no request for this long is destroyed; `nil`
    /// for never.
    public var sessionTimeout: Duration?
    /// `reclaim_session_timeout`: how long the sessions of a closed WebSocket wait for a
    /// `claim`; zero destroys them at once.
    public var reclaimSessionTimeout: Duration
    /// How long a long poll (`GET /janus/<session>`) is held before `keepalive`.
    public var longPollTimeout: Duration
    /// Rooms that exist from start-up (`room-…` entries of the VideoRoom's jcfg).
    public var rooms: [(id: UInt64, settings: VideoRoomSettings)]
    /// The deliberate extension for clients (seed 002's call service) that send
    /// `message` with no `session_id`/`handle_id` over a WebSocket: such requests go to
    /// a session and handles the server keeps for that connection.
    public var implicitSessions: Bool
    /// At most this many sessions at once (Janus answers 472 beyond).
    public var maximumSessions: Int
    /// At most this many handles per session.
    public var maximumHandlesPerSession: Int
    /// Whether media transports gather ICE-TCP candidates (`ice-tcp` in `info`).
    public var iceTCP: Bool
    /// The folder `rec_dir` must be under, and the recordings' folder when a room names
    /// none; nil: any folder (the working folder by default), as Janus.
    public var recordingsRoot: String?
    /// What a recording writes: one media file per publisher (`webm`: WebM, Matroska for
    /// H.264, Ogg for audio alone), Janus's `.mjr` file per track (`mjr`), or `both`.
    public var recordingFormat: RecordingFormat

    public enum RecordingFormat: String, Sendable, CaseIterable {
        case webm, mjr, both

        var writesMediaFile: Bool { self != .mjr }
        var writesJanusFiles: Bool { self != .webm }
    }

    public init(
        apiSecret: String? = nil,
        tokens: Set<String>? = nil,
        adminKey: String? = nil,
        adminSecret: String? = nil,
        sessionTimeout: Duration? = .seconds(60),
        reclaimSessionTimeout: Duration = .zero,
        longPollTimeout: Duration = .seconds(30),
        rooms: [(id: UInt64, settings: VideoRoomSettings)] = [],
        implicitSessions: Bool = true,
        maximumSessions: Int = 100_000,
        maximumHandlesPerSession: Int = 1024,
        iceTCP: Bool = false,
        recordingsRoot: String? = nil,
        recordingFormat: RecordingFormat = .webm
    ) {
        self.apiSecret = apiSecret
        self.tokens = tokens
        self.adminKey = adminKey
        self.adminSecret = adminSecret
        self.sessionTimeout = sessionTimeout
        self.reclaimSessionTimeout = reclaimSessionTimeout
        self.longPollTimeout = longPollTimeout
        self.rooms = rooms
        self.implicitSessions = implicitSessions
        self.maximumSessions = maximumSessions
        self.maximumHandlesPerSession = maximumHandlesPerSession
        self.iceTCP = iceTCP
        self.recordingsRoot = recordingsRoot
        self.recordingFormat = recordingFormat
    }

    /// Reads a configured room: its `room` id and the keys of a `create` request.
    public static func room(_ definition: JSONValue) throws -> (id: UInt64, settings: VideoRoomSettings) {
        guard let object = definition.objectValue else {
            throw ConfigurationProblem("a VideoRoom room is a JSON object")
        }
        let fields = JanusFields(object)
        do throws(VideoRoomError) {
            let id = try fields.requiredPositive("room")
            guard id > 0 else { throw VideoRoomError.invalidElement("room", "a positive integer") }
            return (id, try VideoRoomSettings(creating: fields))
        } catch {
            throw ConfigurationProblem("VideoRoom room: \(error.reason)")
        }
    }

    /// The rooms Janus's own VideoRoom configuration ships with, so that clients written
    /// for its demos find them: 1234 (VP8) and 5678 (VP9).
    public static var sampleRooms: [(id: UInt64, settings: VideoRoomSettings)] {
        var demo = VideoRoomSettings()
        demo.description = "Demo Room"
        demo.secret = "adminpwd"
        demo.maximumPublishers = 6
        demo.bitrate = 128_000
        demo.firFrequency = 10
        var vp9 = demo
        vp9.description = "VP9-SVC Demo Room"
        vp9.bitrate = 512_000
        vp9.videoCodecs = ["vp9"]
        return [(1234, demo), (5678, vp9)]
    }
}

/// A configuration value the face cannot use.
public struct ConfigurationProblem: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
