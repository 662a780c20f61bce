import RTP
import SDP

/// One member of a room: at most one transport it publishes on and one it receives on
/// (two peer connections, as Janus's VideoRoom and the seed services use).
public final class Participant {
    public let id: String
    public var displayName: String?
    public internal(set) var publishTransport: WebRTCTransport?
    public internal(set) var subscribeTransport: WebRTCTransport?
    /// Producers by the SSRC their packets carry.
    var producersBySSRC: [SSRC: Producer] = [:]
    public internal(set) var producers: [Producer] = []
    public internal(set) var consumers: [Consumer] = []
    var extensionMap = RTPHeaderExtensionMap()
    /// A subscriber offer sent and not yet answered.
    var pendingSubscription: (offer: SubscriberOffer, consumers: [Consumer])?
    /// The media sections the subscriber's connection has, in order, as last accepted.
    var sections: [SubscriberOffer.Track] = []
    let subscriptionSessionID = Room.sessionID()
    var subscriptionVersion: UInt64 = 0
    var nextMid = 0

    init(id: String, displayName: String?) {
        self.id = id
        self.displayName = displayName
    }

    /// RTX streams (RFC 4588) the publisher sends, by SSRC, with the producer each
    /// repairs: retransmissions and bandwidth probes.
    var retransmissionSSRCs: [SSRC: Producer] = [:]

    /// Where a publisher's packet goes.
    enum Source {
        case producer(Producer)
        /// A packet of an RTX stream: retransmission or bandwidth probe.
        case retransmission(Producer)
        /// Another simulcast layer of a track bound to one layer.
        case otherLayer
        case unknown
    }

    /// The producer a packet of `ssrc` belongs to; an unknown SSRC is bound by the MID
    /// header extension the first time it is seen. An RTX stream carries the same MID
    /// with the RTX payload type: it is remembered as such and never bound to the track,
    /// whose sequence numbers it would scramble.
    func source(of packet: RTPPacket) -> Source {
        if let producer = self.producersBySSRC[packet.ssrc] { return .producer(producer) }
        if let producer = self.retransmissionSSRCs[packet.ssrc] { return .retransmission(producer) }
        guard let mid = packet.mid(using: self.extensionMap),
            let producer = self.producers.first(where: { $0.mid == mid })
        else { return .unknown }
        guard packet.payloadType == producer.codec.payloadType else {
            guard producer.retransmissionPayloadType == packet.payloadType else { return .unknown }
            self.retransmissionSSRCs[packet.ssrc] = producer
            return .retransmission(producer)
        }
        // A second media SSRC on a bound track is another simulcast layer (RID): the
        // track keeps the layer it was bound to rather than flapping between them.
        guard producer.ssrc == nil else { return .otherLayer }
        producer.ssrc = packet.ssrc
        self.producersBySSRC[packet.ssrc] = producer
        return .producer(producer)
    }
}
