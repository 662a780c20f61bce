/// What the server can receive and send: codecs with their feedback, and header
/// extensions, per media kind. The offer/answer code intersects offers with it.
public struct MediaCapabilities: Sendable {
    public var audioCodecs: [CodecCapability]
    public var videoCodecs: [CodecCapability]
    /// Header-extension URIs the server understands or forwards, per kind.
    public var audioExtensions: [String]
    public var videoExtensions: [String]
    /// Whether RTX (RFC 4588) streams are accepted for video codecs.
    public var acceptsRTX: Bool

    public init(
        audioCodecs: [CodecCapability],
        videoCodecs: [CodecCapability],
        audioExtensions: [String],
        videoExtensions: [String],
        acceptsRTX: Bool = true
    ) {
        self.audioCodecs = audioCodecs
        self.videoCodecs = videoCodecs
        self.audioExtensions = audioExtensions
        self.videoExtensions = videoExtensions
        self.acceptsRTX = acceptsRTX
    }

    /// Opus; VP8, VP9 profile 0, H.264 packetization mode 1, AV1; the feedback and
    /// extensions an SFU uses (NACK, PLI, FIR, REMB, transport-cc; mid, rid, audio level…).
    public static let `default`: MediaCapabilities = {
        let video: [RTCPFeedback] = [
            .init(payloadType: nil, type: "goog-remb"), .init(payloadType: nil, type: "transport-cc"),
            .init(payloadType: nil, type: "ccm", parameter: "fir"), .init(payloadType: nil, type: "nack"),
            .init(payloadType: nil, type: "nack", parameter: "pli"),
        ]
        return MediaCapabilities(
            audioCodecs: [
                CodecCapability(
                    name: "opus",
                    clockRate: 48000,
                    channels: 2,
                    feedback: [.init(payloadType: nil, type: "transport-cc")]
                )
            ],
            videoCodecs: [
                CodecCapability(name: "VP8", clockRate: 90000, feedback: video),
                CodecCapability(
                    name: "VP9",
                    clockRate: 90000,
                    requiredParameters: ["profile-id": "0"],
                    feedback: video
                ),
                CodecCapability(
                    name: "H264",
                    clockRate: 90000,
                    requiredParameters: ["packetization-mode": "1"],
                    feedback: video
                ),
                CodecCapability(name: "AV1", clockRate: 90000, feedback: video),
            ],
            audioExtensions: [
                "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
            ],
            videoExtensions: [
                "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
                "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
                "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                "urn:3gpp:video-orientation", "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
                "http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
                "http://www.webrtc.org/experiments/rtp-hdrext/color-space",
                "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
            ]
        )
    }()

    func codecs(for kind: String) -> [CodecCapability] {
        kind == "audio" ? self.audioCodecs : kind == "video" ? self.videoCodecs : []
    }

    func extensions(for kind: String) -> [String] {
        kind == "audio" ? self.audioExtensions : kind == "video" ? self.videoExtensions : []
    }
}

/// One codec the server accepts, and the rules an offered codec must meet to match it.
public struct CodecCapability: Sendable {
    public var name: String
    public var clockRate: Int
    public var channels: Int?
    /// fmtp parameters that must have these values (a missing one takes RFC defaults:
    /// packetization-mode 0, profile-id 0).
    public var requiredParameters: [String: String]
    /// Feedback the server understands; offered feedback outside it is dropped.
    public var feedback: [RTCPFeedback]

    public init(
        name: String,
        clockRate: Int,
        channels: Int? = nil,
        requiredParameters: [String: String] = [:],
        feedback: [RTCPFeedback] = []
    ) {
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.requiredParameters = requiredParameters
        self.feedback = feedback
    }

    static let parameterDefaults = ["packetization-mode": "0", "profile-id": "0"]

    /// Whether an offered codec is this one (RFC 8829 §5.3.1: name, clock rate, channels
    /// and the format parameters that change what the decoder must understand).
    public func matches(_ codec: CodecDescription) -> Bool {
        guard codec.name.lowercased() == self.name.lowercased(), codec.clockRate == self.clockRate else { return false }
        if let channels = self.channels, (codec.channels ?? 1) != channels { return false }
        let offered = codec.parameterDictionary
        for (key, value) in self.requiredParameters {
            guard (offered[key] ?? Self.parameterDefaults[key]) == value else { return false }
        }
        return true
    }

    /// The offered feedback lines this capability keeps.
    func acceptedFeedback(of codec: CodecDescription) -> [RTCPFeedback] {
        codec.feedback.filter { offered in
            self.feedback.contains { $0.type == offered.type && $0.parameter == offered.parameter }
        }
    }
}
