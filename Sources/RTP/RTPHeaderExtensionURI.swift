/// The header extensions browsers negotiate with `a=extmap` (RFC 8285 §5), by URI.
public enum RTPHeaderExtensionURI {
    /// RFC 8843 §15: the media id of the m-line the packet belongs to.
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// RFC 8852 §3.1: the simulcast encoding id (rid).
    public static let rtpStreamID = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    /// RFC 8852 §3.2: the rid of the stream an RTX packet repairs.
    public static let repairedRTPStreamID = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    /// RFC 6464: client-to-mixer audio level.
    public static let audioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// Absolute send time, 6.18 fixed-point seconds (WebRTC).
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    public static let transportWideCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// Coordination of video orientation (3GPP TS 26.114 §7.4.5).
    public static let videoOrientation = "urn:3gpp:video-orientation"
    /// Minimum and maximum playout delay (WebRTC).
    public static let playoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    /// AV1 dependency descriptor: passed through untouched.
    public static let dependencyDescriptor =
        "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension"
    /// Frame timing for the receiver's statistics (WebRTC): passed through.
    public static let videoTiming = "http://www.webrtc.org/experiments/rtp-hdrext/video-timing"
    /// Color space and HDR metadata (WebRTC): passed through.
    public static let colorSpace = "http://www.webrtc.org/experiments/rtp-hdrext/color-space"
    /// Transmission time offset (RFC 5450).
    public static let transmissionTimeOffset = "urn:ietf:params:rtp-hdrext:toffset"
}

/// Which local id each known header extension has on one transport, from its `a=extmap`
/// lines. The per-packet accessors read through it.
public struct RTPHeaderExtensionMap: Equatable, Sendable {
    public var mid: UInt8?
    public var rtpStreamID: UInt8?
    public var repairedRTPStreamID: UInt8?
    public var audioLevel: UInt8?
    public var absSendTime: UInt8?
    public var transportWideCC: UInt8?
    public var videoOrientation: UInt8?
    public var playoutDelay: UInt8?
    public var dependencyDescriptor: UInt8?

    public init() {}

    /// Builds the map from negotiated `id: uri` pairs; unknown URIs are ignored.
    public init(_ uris: [UInt8: String]) {
        for (id, uri) in uris {
            switch uri {
            case RTPHeaderExtensionURI.mid: self.mid = id
            case RTPHeaderExtensionURI.rtpStreamID: self.rtpStreamID = id
            case RTPHeaderExtensionURI.repairedRTPStreamID: self.repairedRTPStreamID = id
            case RTPHeaderExtensionURI.audioLevel: self.audioLevel = id
            case RTPHeaderExtensionURI.absSendTime: self.absSendTime = id
            case RTPHeaderExtensionURI.transportWideCC: self.transportWideCC = id
            case RTPHeaderExtensionURI.videoOrientation: self.videoOrientation = id
            case RTPHeaderExtensionURI.playoutDelay: self.playoutDelay = id
            case RTPHeaderExtensionURI.dependencyDescriptor: self.dependencyDescriptor = id
            default: continue
            }
        }
    }
}
