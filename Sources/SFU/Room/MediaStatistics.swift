/// Counts across transports, rooms or the whole server, for `/metrics` and `/health`.
/// A snapshot: taken on each room's worker and added up off it. The gauges describe
/// what is open now; the counters only grow (closed transports and rooms leave theirs
/// behind, see `counters`).
public struct MediaStatistics: Sendable, Equatable {
    // Gauges.
    public var rooms = 0
    public var participants = 0
    public var publishers = 0
    public var producers = 0
    public var consumers = 0
    public var transports = 0
    public var connectedTransports = 0
    // Counters.
    /// Datagrams received on transports (DTLS and SRTP; STUN excluded).
    public var packetsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var srtpFailures: UInt64 = 0
    public var drops = DropCounters()
    public var nacksReceived: UInt64 = 0
    public var pictureLossIndications: UInt64 = 0
    public var fullIntraRequests: UInt64 = 0
    public var keyFrameRequestsSent: UInt64 = 0
    /// Packets resent to subscribers for their NACKs or their transport-wide feedback.
    public var retransmissions: UInt64 = 0
    /// Of those, the ones resent because transport-wide feedback reported them lost.
    public var lossRepairs: UInt64 = 0
    /// NACKs sent to publishers for packets the SFU missed.
    public var nacksSent: UInt64 = 0
    /// Missing packets that publishers' retransmissions repaired.
    public var repairedPackets: UInt64 = 0
    /// Missing packets given up on (never repaired).
    public var unrepairedPackets: UInt64 = 0
    /// Transport-wide feedback packets sent to publishers.
    public var transportFeedbackSent: UInt64 = 0
    /// Packets left out of recordings because the recorder's queue was full (a slow
    /// disk), and recordings that could not go on (a file not created or not written):
    /// the server's recorder's, not a room's.
    public var recordingPacketsDropped: UInt64 = 0
    public var recordingsFailed: UInt64 = 0
    /// Subscribers' bandwidth estimates now, as a histogram: how many are at most each
    /// bound of `estimateBounds` (the last bucket: above them all), and their sum.
    public var estimateBuckets = Array(repeating: 0, count: MediaStatistics.estimateBounds.count + 1)
    public var estimateSum = 0
    /// Bit/s.
    public static let estimateBounds = [100_000, 250_000, 500_000, 1_000_000, 2_000_000, 4_000_000, 8_000_000]

    public init() {}

    /// The counters alone, gauges zero: what a closed room or transport leaves behind.
    var counters: MediaStatistics {
        var counters = self
        (counters.rooms, counters.participants, counters.publishers) = (0, 0, 0)
        (counters.producers, counters.consumers, counters.transports, counters.connectedTransports) = (0, 0, 0, 0)
        counters.estimateBuckets = Array(repeating: 0, count: Self.estimateBounds.count + 1)
        counters.estimateSum = 0
        return counters
    }

    /// Adds a transport's traffic, drops and the feedback its peer sent (not the
    /// transport gauges).
    mutating func addTraffic(of transport: WebRTCTransport) {
        let counters = transport.media.counters
        self.packetsIn &+= UInt64(transport.packetsIn)
        self.bytesIn &+= counters.bytesIn
        self.packetsOut &+= counters.packetsOut
        self.bytesOut &+= counters.bytesOut
        self.srtpFailures &+= counters.srtpFailures
        self.nacksReceived &+= counters.nacksReceived
        self.pictureLossIndications &+= counters.pictureLossIndications
        self.fullIntraRequests &+= counters.fullIntraRequests
        self.transportFeedbackSent &+= counters.transportFeedbackSent
        self.drops.add(transport.media.drops)
    }

    /// Adds a producer's loss repair and keyframe requests.
    mutating func add(_ producer: Producer) {
        self.keyFrameRequestsSent &+= producer.keyFrameRequests
        self.nacksSent &+= producer.nacksSent
        self.repairedPackets &+= producer.repairedPackets
        self.unrepairedPackets &+= producer.abandonedPackets
    }

    /// Adds a consumer's retransmissions and drops.
    mutating func add(_ consumer: Consumer) {
        self.retransmissions &+= consumer.retransmissions
        self.lossRepairs &+= consumer.lossRepairs
        self.drops.add(consumer.drops)
    }

    /// Adds another snapshot's counts.
    public mutating func add(_ other: MediaStatistics) {
        self.rooms += other.rooms
        self.participants += other.participants
        self.publishers += other.publishers
        self.producers += other.producers
        self.consumers += other.consumers
        self.transports += other.transports
        self.connectedTransports += other.connectedTransports
        self.packetsIn &+= other.packetsIn
        self.bytesIn &+= other.bytesIn
        self.packetsOut &+= other.packetsOut
        self.bytesOut &+= other.bytesOut
        self.srtpFailures &+= other.srtpFailures
        self.drops.add(other.drops)
        self.nacksReceived &+= other.nacksReceived
        self.pictureLossIndications &+= other.pictureLossIndications
        self.fullIntraRequests &+= other.fullIntraRequests
        self.keyFrameRequestsSent &+= other.keyFrameRequestsSent
        self.retransmissions &+= other.retransmissions
        self.lossRepairs &+= other.lossRepairs
        self.nacksSent &+= other.nacksSent
        self.repairedPackets &+= other.repairedPackets
        self.unrepairedPackets &+= other.unrepairedPackets
        self.transportFeedbackSent &+= other.transportFeedbackSent
        for index in self.estimateBuckets.indices { self.estimateBuckets[index] += other.estimateBuckets[index] }
        self.estimateSum += other.estimateSum
    }

    /// Counts one subscriber's estimate in the histogram.
    mutating func addEstimate(_ bitsPerSecond: Int) {
        let index = Self.estimateBounds.firstIndex { bitsPerSecond <= $0 } ?? Self.estimateBounds.count
        self.estimateBuckets[index] += 1
        self.estimateSum += bitsPerSecond
    }
}

extension Room {
    /// The room's counts now: live transports, producers and consumers, plus what closed
    /// ones left behind.
    public var statistics: MediaStatistics {
        var statistics = self.totals
        statistics.rooms = 1
        statistics.participants = self.participants.count
        statistics.publishers = self.publisherCount
        statistics.producers = self.producers.count
        for participant in self.participants.values {
            for transport in [participant.publishTransport, participant.subscribeTransport].compactMap({ $0 }) {
                statistics.transports += 1
                if transport.state == .connected { statistics.connectedTransports += 1 }
                statistics.addTraffic(of: transport)
            }
            if let estimate = participant.subscribeTransport?.media.availableBitrate {
                statistics.addEstimate(estimate)
            }
            statistics.consumers += participant.consumers.count
            for consumer in participant.consumers { statistics.add(consumer) }
        }
        for producer in self.producers.values { statistics.add(producer) }
        return statistics
    }
}
