import RTP
import SDP

/// One member of a room: at most one transport it publishes on and one it receives on
/// (two peer connections, as Janus's VideoRoom and the seed services use).
public final class Participant {
    public let id: String
    public var displayName: String?
    public internal(set) var publishTransport: WebRTCTransport?
    public internal(set) var subscribeTransport: WebRTCTransport?
    /// The producers' streams by the SSRC their packets carry.
    var streamsBySSRC: [SSRC: ProducerStream] = [:]
    /// RTX streams (RFC 4588) the publisher sends, by SSRC, with the stream each
    /// repairs: retransmissions and bandwidth probes.
    var retransmissionSSRCs: [SSRC: ProducerStream] = [:]
    public internal(set) var producers: [Producer] = []
    public internal(set) var consumers: [Consumer] = []
    var extensionMap = RTPHeaderExtensionMap()
    /// A subscriber offer sent and not yet answered.
    var pendingSubscription: (offer: SubscriberOffer, consumers: [Consumer])?
    /// Tracks the subscriber does not want offered with every other track: those its
    /// answers rejected (a codec it cannot receive) and those it unsubscribed from. Named
    /// in a subscription, they are offered again.
    var declinedTracks: Set<String> = []
    /// The media sections the subscriber's connection has, in order, as last accepted.
    var sections: [SubscriberOffer.Track] = []
    /// What the participant's packets raise for the faces (talking), passed to the room.
    var onEvent: ((RoomEvent) -> Void)?
    /// The publishing connection's sections as last answered, and its answers' origin.
    var publishedSections = PublishedSections()
    let publishSessionID = Room.sessionID()
    var publishVersion: UInt64 = 0
    let subscriptionSessionID = Room.sessionID()
    var subscriptionVersion: UInt64 = 0
    var nextMid = 0

    init(id: String, displayName: String?) {
        self.id = id
        self.displayName = displayName
    }

    /// Knows a new producer's streams by the SSRCs its section lists, with their RTX
    /// streams (`a=ssrc-group:FID`); streams named by rid are bound by their first
    /// packets instead (Participant+Routing).
    func bind(_ producer: Producer, rtx retransmissions: [SSRC: SSRC], listed: [SSRC]) {
        for stream in producer.streams {
            guard let ssrc = stream.ssrc else { continue }
            self.streamsBySSRC[ssrc] = stream
            if let rtx = retransmissions[ssrc] { self.retransmissionSSRCs[rtx] = stream }
        }
        // Without an FID group, further SSRCs of a one-stream section are its RTX stream.
        guard !producer.isSimulcast, retransmissions.isEmpty else { return }
        for ssrc in listed.dropFirst() { self.retransmissionSSRCs[ssrc] = producer.streams[0] }
    }
}
