public import ICE
import RTP
import SDP

/// How a room behaves; the faces map their own options onto it (Janus's `publishers`,
/// `bitrate`, `fir_freq`, `audiocodec`, `videocodec`, `secret`, `pin`).
public struct RoomConfiguration: Sendable {
    /// The most participants publishing at once (the seed call service uses 50).
    public var maximumPublishers: Int
    /// The most participants subscribing at once (each with a subscribing transport):
    /// what one room's fan-out may cost a server.
    public var maximumSubscribers: Int
    /// The bitrate each publisher is asked to stay under (REMB), bits per second;
    /// `nil` for no cap.
    public var publisherBitrateCap: Int?
    /// The most a publisher may send, bits per second, whatever it was asked: media
    /// beyond it is dropped and counted (`overBitrateLimit`), and REMB never asks for
    /// more. The server's `--max-publisher-bitrate` (`MediaServer.Configuration`);
    /// `nil` for no limit.
    public var maximumPublisherBitrate: Int?
    /// What REMB asks each publisher to stay under: the room's cap, within the limit.
    var rembBitrate: Int? {
        [self.publisherBitrateCap, self.maximumPublisherBitrate].compactMap(\.self).min()
    }
    /// Codec names allowed, lowercase ("opus", "vp8", "vp9", "h264", "av1").
    public var allowedCodecs: Set<String>
    /// A keyframe is requested from each video publisher at this interval (`fir_freq`);
    /// `nil` only on demand.
    public var keyFrameRequestInterval: Duration?
    /// At most one keyframe request per producer within this interval reaches its
    /// publisher.
    public var keyFrameRequestThrottle: Duration
    /// Whether audio producers are metered for talking events (RFC 6464 levels).
    public var detectsTalking: Bool
    /// Audio packets per talking decision (Janus's `audio_active_packets`, 100).
    public var audioLevelWindow: Int
    /// Average level in -dBov under which a window counts as talking (Janus's
    /// `audio_level_average`, 25).
    public var audioLevelThreshold: Int
    /// Whether the room closes when its last participant leaves (rooms that joining
    /// created); rooms created on purpose stay until destroyed.
    public var closesWhenEmpty: Bool
    public var secret: String?
    public var pin: String?
    /// How the room's transports gather and check candidates.
    public var ice: ICEAgent.Configuration
    /// Whether transport-wide congestion control is negotiated (Janus's
    /// `transport_wide_cc_ext`): publishers get feedback, subscribers are estimated from
    /// theirs. Without it, publishers fall back to REMB at the room's cap.
    public var usesTransportWideCC: Bool

    public init(
        maximumPublishers: Int = 50,
        maximumSubscribers: Int = RoomConfiguration.defaultMaximumSubscribers,
        publisherBitrateCap: Int? = nil,
        maximumPublisherBitrate: Int? = nil,
        allowedCodecs: Set<String> = ["opus", "vp8", "vp9", "h264", "av1"],
        keyFrameRequestInterval: Duration? = nil,
        keyFrameRequestThrottle: Duration = .milliseconds(300),
        detectsTalking: Bool = true,
        audioLevelWindow: Int = 100,
        audioLevelThreshold: Int = 25,
        closesWhenEmpty: Bool = false,
        secret: String? = nil,
        pin: String? = nil,
        ice: ICEAgent.Configuration = .init(),
        usesTransportWideCC: Bool = true
    ) {
        self.maximumPublishers = maximumPublishers
        self.maximumSubscribers = maximumSubscribers
        self.publisherBitrateCap = publisherBitrateCap
        self.maximumPublisherBitrate = maximumPublisherBitrate
        self.allowedCodecs = allowedCodecs
        self.keyFrameRequestInterval = keyFrameRequestInterval
        self.keyFrameRequestThrottle = keyFrameRequestThrottle
        self.detectsTalking = detectsTalking
        self.audioLevelWindow = audioLevelWindow
        self.audioLevelThreshold = audioLevelThreshold
        self.closesWhenEmpty = closesWhenEmpty
        self.secret = secret
        self.pin = pin
        self.ice = ice
        self.usesTransportWideCC = usesTransportWideCC
    }

    public static let defaultMaximumSubscribers = 2000

    /// The server's media capabilities narrowed to the allowed codecs.
    var capabilities: MediaCapabilities {
        var capabilities = MediaCapabilities.default
        capabilities.audioCodecs.removeAll { !self.allowedCodecs.contains($0.name.lowercased()) }
        capabilities.videoCodecs.removeAll { !self.allowedCodecs.contains($0.name.lowercased()) }
        if !self.usesTransportWideCC {
            func withoutTransportCC(_ codecs: inout [CodecCapability]) {
                for index in codecs.indices { codecs[index].feedback.removeAll { $0.type == "transport-cc" } }
            }
            capabilities.audioExtensions.removeAll { $0 == RTPHeaderExtensionURI.transportWideCC }
            capabilities.videoExtensions.removeAll { $0 == RTPHeaderExtensionURI.transportWideCC }
            withoutTransportCC(&capabilities.audioCodecs)
            withoutTransportCC(&capabilities.videoCodecs)
        }
        return capabilities
    }
}
