/// What the subscriber's transport-wide feedback says of each bandwidth probe cluster
/// (`BandwidthProber`): the results of its packets, gathered across feedback packets
/// until the cluster can be measured. The rules and constants are libwebrtc's probe
/// bitrate estimator's: a cluster is measured when 80 % of its packets arrived, over send
/// and arrival spans of at most 1 s; an arrival rate more than twice the send rate is an
/// error; under 90 % of the send rate the link was saturated, and the result is 95 % of
/// the arrival rate.
struct ProbeMeasurements {
    typealias PacketResult = BandwidthEstimator.PacketResult

    static let receivedRatio = 0.8
    static let maximumInterval: Int64 = 1_000_000
    static let maximumRatio = 2.0
    static let saturatedRatio = 0.9
    static let utilization = 0.95

    /// What a cluster measured: nil when too little of it arrived or its times made no
    /// sense.
    struct Measurement {
        var cluster: UInt16
        var rate: (bitsPerSecond: Double, saturated: Bool)?
    }

    private struct Probe {
        var sent: Int?
        var finished: Int64?
        var results: [PacketResult] = []
    }

    private var probes: [UInt16: Probe] = [:]

    /// Cluster `id` finished sending `packets` at `now` (µs): it is measured once every
    /// packet is reported, or a second later.
    mutating func sent(_ id: UInt16, packets: Int, now: Int64) {
        self.probes[id, default: Probe()].sent = packets
        self.probes[id]?.finished = now
    }

    /// Takes one feedback packet's results at `now` (µs), and returns the clusters they
    /// completed.
    mutating func add(_ results: [PacketResult], now: Int64) -> [Measurement] {
        for result in results where result.probeCluster != 0 {
            self.probes[result.probeCluster, default: Probe()].results.append(result)
        }
        guard !self.probes.isEmpty else { return [] }
        var measured: [Measurement] = []
        for (id, probe) in self.probes {
            guard let sent = probe.sent, let finished = probe.finished else {
                // Results for a cluster never announced (or long gone): dropped.
                if probe.results.count > 64 { self.probes[id] = nil }
                continue
            }
            guard probe.results.count >= sent || now - finished > Self.maximumInterval else { continue }
            self.probes[id] = nil
            let received = probe.results.count { $0.arrival != nil }
            let isEnough = Double(received) >= Self.receivedRatio * Double(sent)
            measured.append(Measurement(cluster: id, rate: isEnough ? Self.rate(probe.results) : nil))
        }
        return measured
    }

    /// The rate a cluster's received packets measure: the smaller of their send and
    /// arrival rates (each span's first or last packet not counted), or 95 % of the
    /// arrival rate when the link could not keep up with the sending (saturated).
    static func rate(_ results: [PacketResult]) -> (bitsPerSecond: Double, saturated: Bool)? {
        let received = results.compactMap { result in
            result.arrival.map { (send: result.sendTime, arrival: $0, size: result.size) }
        }
        let bySend = received.sorted { $0.send < $1.send }
        let byArrival = received.sorted { $0.arrival < $1.arrival }
        guard received.count >= 2, let firstSent = bySend.first, let lastSent = bySend.last,
            let firstArrived = byArrival.first, let lastArrived = byArrival.last
        else { return nil }
        let sendInterval = lastSent.send - firstSent.send
        let receiveInterval = lastArrived.arrival - firstArrived.arrival
        guard sendInterval > 0, sendInterval <= Self.maximumInterval, receiveInterval > 0,
            receiveInterval <= Self.maximumInterval
        else { return nil }
        let total = received.reduce(0) { $0 + $1.size }
        let sendRate = Double((total - lastSent.size) * 8) / (Double(sendInterval) / 1_000_000)
        let receiveRate = Double((total - firstArrived.size) * 8) / (Double(receiveInterval) / 1_000_000)
        guard receiveRate <= Self.maximumRatio * sendRate else { return nil }
        if receiveRate < Self.saturatedRatio * sendRate { return (Self.utilization * receiveRate, true) }
        return (min(sendRate, receiveRate), false)
    }
}
