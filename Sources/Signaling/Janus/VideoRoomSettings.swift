import Foundation
public import SFU

/// A VideoRoom room's settings, read from the same keys as Janus's `create` request and
/// `janus.plugin.videoroom.jcfg` room entries (`description`, `secret`, `pin`,
/// `is_private`, `publishers`, `bitrate`, `fir_freq`, `audiocodec`, `videocodec`, …).
public struct VideoRoomSettings: Sendable, Equatable {
    public var description: String?
    public var secret: String?
    public var pin: String?
    public var isPrivate = false
    /// Tokens allowed to join, when the list is enforced.
    public var allowed: Set<String>?
    public var requirePrivateID = false
    /// Janus's default is 3.
    public var maximumPublishers = 3
    /// SwiftSFU's own (`max_subscribers`; Janus has no such limit).
    public var maximumSubscribers = RoomConfiguration.defaultMaximumSubscribers
    /// Bits per second each publisher is asked to stay under (REMB); 0 for no cap.
    public var bitrate = 0
    /// Seconds between keyframe requests to each publisher; 0 for on demand only.
    public var firFrequency = 0
    public var audioCodecs = ["opus"]
    public var videoCodecs = ["vp8"]
    public var record = false
    public var recordingDirectory: String?
    public var lockRecord = false
    public var notifyJoining = false
    public var audioLevelExtension = true
    public var audioLevelEvent = false
    public var audioActivePackets = 100
    public var audioLevelAverage = 25
    public var videoOrientationExtension = true
    public var playoutDelayExtension = true
    public var transportWideCCExtension = true
    public var requireE2EE = false

    public init() {}

    /// Codecs SwiftSFU forwards, by the names Janus uses.
    static let audioCodecNames: Set<String> = ["opus"]
    static let videoCodecNames: Set<String> = ["vp8", "vp9", "h264", "av1"]
    /// Codecs Janus knows and SwiftSFU does not forward: accepted in a room's list and
    /// left out of negotiation.
    static let otherCodecNames: Set<String> = ["multiopus", "g722", "pcmu", "pcma", "isac32", "isac16", "l16", "h265"]

    /// Reads a `create` request body (or a configured room), keeping the defaults for
    /// what it leaves out.
    init(creating fields: JanusFields) throws(VideoRoomError) {
        self.description = try fields.string("description")
        self.secret = try fields.string("secret")
        self.pin = try fields.string("pin")
        self.isPrivate = try fields.bool("is_private") ?? false
        if let allowed = try fields.strings("allowed") { self.allowed = Set(allowed) }
        self.requirePrivateID = try fields.bool("require_pvtid") ?? false
        if let publishers = try fields.positive("publishers") { self.maximumPublishers = Int(min(publishers, 10_000)) }
        if let subscribers = try fields.positive("max_subscribers"), subscribers > 0 {
            self.maximumSubscribers = Int(min(subscribers, 100_000))
        }
        if let bitrate = try fields.positive("bitrate") { self.bitrate = Int(min(bitrate, 1 << 32)) }
        if let fir = try fields.positive("fir_freq") { self.firFrequency = Int(min(fir, 86_400)) }
        if let audio = try fields.string("audiocodec") {
            self.audioCodecs = try Self.codecs(audio, element: "audiocodec", known: Self.audioCodecNames)
        }
        if let video = try fields.string("videocodec") {
            self.videoCodecs = try Self.codecs(video, element: "videocodec", known: Self.videoCodecNames)
        }
        self.record = try fields.bool("record") ?? false
        self.recordingDirectory = try fields.string("rec_dir")
        self.lockRecord = try fields.bool("lock_record") ?? false
        self.notifyJoining = try fields.bool("notify_joining") ?? false
        self.audioLevelExtension = try fields.bool("audiolevel_ext") ?? true
        self.audioLevelEvent = try fields.bool("audiolevel_event") ?? false
        if let packets = try fields.positive("audio_active_packets"), packets > 0 {
            self.audioActivePackets = Int(min(packets, 10_000))
        }
        if let average = try fields.positive("audio_level_average"), average <= 127 {
            self.audioLevelAverage = Int(average)
        }
        self.videoOrientationExtension = try fields.bool("videoorient_ext") ?? true
        self.playoutDelayExtension = try fields.bool("playoutdelay_ext") ?? true
        self.transportWideCCExtension = try fields.bool("transport_wide_cc_ext") ?? true
        self.requireE2EE = try fields.bool("require_e2ee") ?? false
    }

    /// "vp8,h264" → ["vp8", "h264"]; at most five, as Janus allows.
    static func codecs(_ list: String, element: String, known: Set<String>) throws(VideoRoomError) -> [String] {
        let names = list.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.count <= 5,
            names.allSatisfy({ known.contains($0) || Self.otherCodecNames.contains($0) })
        else {
            throw .invalidElement(element, "a comma-separated list of at most 5 codecs")
        }
        return names
    }

    /// The routing core's configuration for a room with these settings.
    var roomConfiguration: RoomConfiguration {
        var allowed = Set(self.audioCodecs + self.videoCodecs)
        // An audio or video list with nothing SwiftSFU forwards falls back to the default.
        if allowed.isDisjoint(with: Self.audioCodecNames) { allowed.insert("opus") }
        if allowed.isDisjoint(with: Self.videoCodecNames) { allowed.insert("vp8") }
        return RoomConfiguration(
            maximumPublishers: self.maximumPublishers,
            maximumSubscribers: self.maximumSubscribers,
            publisherBitrateCap: self.bitrate > 0 ? self.bitrate : nil,
            allowedCodecs: allowed,
            keyFrameRequestInterval: self.firFrequency > 0 ? .seconds(self.firFrequency) : nil,
            detectsTalking: self.audioLevelEvent,
            audioLevelWindow: self.audioActivePackets,
            audioLevelThreshold: self.audioLevelAverage,
            closesWhenEmpty: false,
            usesTransportWideCC: self.transportWideCCExtension
        )
    }

    /// How `list` describes a room.
    func listing(room: UInt64, participants: Int) -> JSONValue {
        var entry: [String: JSONValue] = [
            "room": JSONValue(room),
            "description": .string(self.description ?? "Room \(room)"),
            "pin_required": .bool(self.pin != nil),
            "is_private": .bool(self.isPrivate),
            "max_publishers": JSONValue(self.maximumPublishers),
            "bitrate": JSONValue(self.bitrate),
            "fir_freq": JSONValue(self.firFrequency),
            "require_pvtid": .bool(self.requirePrivateID),
            "require_e2ee": .bool(self.requireE2EE),
            "dummy_publisher": false,
            "notify_joining": .bool(self.notifyJoining),
            "opus_fec": true,
            "audiocodec": .string(self.audioCodecs.joined(separator: ",")),
            "videocodec": .string(self.videoCodecs.joined(separator: ",")),
            "record": .bool(self.record),
            "lock_record": .bool(self.lockRecord),
            "num_participants": JSONValue(participants),
            "audiolevel_ext": .bool(self.audioLevelExtension),
            "audiolevel_event": .bool(self.audioLevelEvent),
            "videoorient_ext": .bool(self.videoOrientationExtension),
            "playoutdelay_ext": .bool(self.playoutDelayExtension),
            "transport_wide_cc_ext": .bool(self.transportWideCCExtension),
        ]
        if let directory = self.recordingDirectory { entry["rec_dir"] = .string(directory) }
        if self.audioLevelEvent {
            entry["audio_active_packets"] = JSONValue(self.audioActivePackets)
            entry["audio_level_average"] = JSONValue(self.audioLevelAverage)
        }
        return .object(entry)
    }
}
