public import Recording

/// Which of a participant's two peer connections something concerns.
public enum TransportRole: String, Sendable, Codable {
    case publish, subscribe
}

/// What a published track looks like to the signaling faces.
public struct TrackInfo: Sendable, Equatable, Codable {
    /// The producer's id, "participant:mid"; subscribe requests name tracks by it.
    public var id: String
    public var participantID: String
    public var kind: String
    /// The codec's name, lowercase ("opus", "vp8", …).
    public var codec: String
    public var mid: String
    public var isMuted: Bool
    /// How many simulcast streams the track is sent in; `nil` for one.
    public var simulcastStreams: Int?

    public init(
        id: String,
        participantID: String,
        kind: String,
        codec: String,
        mid: String,
        isMuted: Bool,
        simulcastStreams: Int? = nil
    ) {
        self.id = id
        self.participantID = participantID
        self.kind = kind
        self.codec = codec
        self.mid = mid
        self.isMuted = isMuted
        self.simulcastStreams = simulcastStreams
    }
}

/// One section of a subscriber's connection and the track it carries.
public struct SubscribedTrack: Sendable, Equatable {
    public var mid: String
    public var track: TrackInfo
    /// The section's index among the connection's media sections.
    public var mindex: Int

    public init(mid: String, track: TrackInfo, mindex: Int) {
        self.mid = mid
        self.track = track
        self.mindex = mindex
    }
}

/// What a room tells the signaling faces, on its worker's thread. None of these is
/// raised per packet: talking changes are decided once per metering window.
public enum RoomEvent: Sendable, Equatable {
    case participantJoined(participantID: String, displayName: String?)
    case participantLeft(participantID: String)
    case trackPublished(TrackInfo)
    case trackUnpublished(TrackInfo)
    case trackMuted(TrackInfo)
    /// A track's media started arriving, or has not arrived for a second; checked once a
    /// second, off the media path.
    case trackReceiving(TrackInfo, isReceiving: Bool)
    /// An audio producer started or stopped talking; `level` is the window's average
    /// RFC 6464 level in -dBov (0 loudest, 127 silence).
    case talking(participantID: String, trackID: String, isTalking: Bool, level: Int)
    case transportStateChanged(participantID: String, role: TransportRole, state: WebRTCTransport.State)
    /// A connected transport's peer has sent nothing for a few seconds: its path likely
    /// died (a network change). The server restarts ICE on a connection it offers (a
    /// subscriber's) and asks the client to on one the client offers.
    case transportSilent(participantID: String, role: TransportRole)
    /// A subscriber's section `mid` now carries another spatial layer (0 the lowest, of a
    /// simulcast track or of an SVC stream's layers, `isSVC`: raised when the consumer
    /// moved, at a key frame) or another highest temporal layer (of a track sent in
    /// temporal layers), or was paused because its link has no room for it, or resumed;
    /// `nil` for what did not change.
    case layerChanged(
        participantID: String,
        mid: String,
        spatialLayer: Int?,
        temporalLayer: Int?,
        paused: Bool?,
        isSVC: Bool = false
    )
    /// A subscriber's answer rejected the section `mid` that was to carry `track`: its
    /// browser cannot receive the track's codec (Firefox without OpenH264 and an H.264
    /// publisher, say). It gets nothing of that track; told so that the face can say why.
    case trackRefused(participantID: String, mid: String, track: TrackInfo)
    /// A server candidate to trickle to the participant, `candidate:…`; empty at the end.
    case localCandidate(participantID: String, role: TransportRole, candidate: String)
    /// A participant's recording started, into `files`, with its tracks' codecs.
    case recordingStarted(participantID: String, files: [String], codecs: [String])
    /// A participant's recording finished: what it wrote (raised on the room's worker
    /// once the file is closed, even when the room closed meanwhile).
    case recordingFinished(participantID: String, summary: Recorder.Summary)
}
