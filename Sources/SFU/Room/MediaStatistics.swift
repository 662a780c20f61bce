/// Counts across transports, rooms or the whole server, for `/metrics` and `/health`.
/// A snapshot: taken on each room's worker and added up off it.
public struct MediaStatistics: Sendable, Equatable {
    public var rooms = 0
    public var participants = 0
    public var publishers = 0
    public var producers = 0
    public var consumers = 0
    public var transports = 0
    public var connectedTransports = 0
    /// Datagrams received on transports (DTLS and SRTP; STUN excluded).
    public var packetsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var srtpFailures: UInt64 = 0
    /// Dropped datagrams by reason, indexed by `DropReason.rawValue`.
    public var drops: [UInt64] = Array(repeating: 0, count: DropReason.allCases.count)
    public var nacksReceived: UInt64 = 0
    public var pictureLossIndications: UInt64 = 0
    public var fullIntraRequests: UInt64 = 0
    public var keyFrameRequestsSent: UInt64 = 0
    public var retransmissions: UInt64 = 0

    public init() {}

    public func drops(_ reason: DropReason) -> UInt64 { self.drops[reason.rawValue] }

    /// Adds a transport's traffic and drops.
    mutating func add(_ transport: WebRTCTransport) {
        self.transports += 1
        if transport.state == .connected { self.connectedTransports += 1 }
        self.packetsIn &+= UInt64(transport.packetsIn)
        self.bytesIn &+= transport.counters.bytesIn
        self.packetsOut &+= transport.counters.packetsOut
        self.bytesOut &+= transport.counters.bytesOut
        self.srtpFailures &+= transport.counters.srtpFailures
        for reason in DropReason.allCases { self.drops[reason.rawValue] &+= transport.drops[reason] }
    }

    /// Adds a consumer's retransmissions and drops.
    mutating func add(_ consumer: Consumer) {
        self.retransmissions &+= consumer.retransmissions
        for reason in DropReason.allCases { self.drops[reason.rawValue] &+= consumer.drops[reason] }
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
        for index in self.drops.indices { self.drops[index] &+= other.drops[index] }
        self.nacksReceived &+= other.nacksReceived
        self.pictureLossIndications &+= other.pictureLossIndications
        self.fullIntraRequests &+= other.fullIntraRequests
        self.keyFrameRequestsSent &+= other.keyFrameRequestsSent
        self.retransmissions &+= other.retransmissions
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
        // Live transports count as live; retired ones only by their traffic.
        statistics.transports = 0
        statistics.connectedTransports = 0
        for participant in self.participants.values {
            if let transport = participant.publishTransport { statistics.add(transport) }
            if let transport = participant.subscribeTransport { statistics.add(transport) }
            statistics.consumers += participant.consumers.count
            for consumer in participant.consumers { statistics.add(consumer) }
        }
        for producer in self.producers.values { statistics.keyFrameRequestsSent &+= producer.keyFrameRequests }
        return statistics
    }
}
