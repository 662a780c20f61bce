import Foundation
import RTP

/// What one subscriber's link carries, from its transport-wide feedback: Google
/// Congestion Control's receiver-report form (draft-ietf-rmcat-gcc-02, RFC 8698's
/// terms), written here from the descriptions and from libwebrtc's and Pion's constants.
///
/// - Delay-based: `OveruseDetector` tells from the arrival times whether queues build up
///   (overuse), drain (underuse) or neither; an AIMD controller raises the rate 8 % a
///   second far from the last overuse, about a packet per response time near it, and cuts
///   it to 85 % of what the link was measured to deliver on overuse.
/// - Loss-based: more than 10 % loss sets it to what the link delivered less half the
///   loss fraction, less than 2 % lets it grow 5 % per update; in between it holds.
/// - Probes (`ProbeMeasurements`): a measured probe sets both.
/// - The estimate is the smaller of the two. An increase goes no further than 1.5 times
///   what the link delivered plus 10 kbit/s (an estimate the sender never tested is a
///   guess); only probes go past that.
///
/// A client that sends no transport-wide feedback is estimated from what it does send:
/// REMB (its own receive-side estimate) and the loss in its receiver reports, applied to
/// the rate the path sent. With transport-wide feedback, REMB only caps the estimate.
///
/// Runs once per feedback packet (every 50–100 ms per subscriber), off the per-packet path.
final class BandwidthEstimator {
    /// One packet the feedback reported on.
    struct PacketResult: Equatable {
        /// When the SFU sent it (wall clock, µs), and its size on the wire.
        var sendTime: Int64
        var size: Int
        /// When the subscriber received it (its clock, µs), or nil: lost.
        var arrival: Int64?
        /// The bandwidth probe it was part of, or 0.
        var probeCluster: UInt16 = 0
    }

    /// What a probe cluster measured: the rate the link carried it at, bit/s, or nil when
    /// too little of it arrived, or its times made no sense.
    struct ProbeResult: Equatable {
        var cluster: UInt16
        var bitsPerSecond: Double?
    }

    enum Usage: Equatable, Sendable {
        case normal, overusing, underusing
    }

    // Constants and their sources.
    /// AIMD: cut to 85 % of the delivered rate (draft §5.5 beta), 8 % a second up
    /// (libwebrtc's and Pion's multiplicative increase), at most 1.5 x delivered + 10 kbit/s.
    static let decreaseFactor = 0.85
    static let increasePerSecond = 1.08
    /// Loss-based (draft §6): thresholds 2 % and 10 %, at most one change per 200 ms.
    static let lowLoss = 0.02
    static let highLoss = 0.10
    static let lossUpdateInterval: Int64 = 200_000
    /// Where an estimate starts and its bounds, bit/s.
    static let initialBitrate = 300_000.0
    static let minimumBitrate = 30_000.0
    static let maximumBitrate = 50_000_000.0
    /// What the link delivered is measured over the last 500 ms of arrivals.
    static let deliveryWindow: Int64 = 500_000

    private(set) var estimate = BandwidthEstimator.initialBitrate
    private(set) var delayBased = BandwidthEstimator.initialBitrate
    private(set) var lossBased = BandwidthEstimator.maximumBitrate
    private(set) var usage = Usage.normal
    /// What the link delivered, bit/s, once measured.
    private(set) var deliveredBitrate: Double?
    private(set) var lossFraction = 0.0
    /// Feedback for packets the history no longer (or never) held, and feedback that made
    /// no sense (arrival times going back more than the deltas allow).
    private(set) var unknownPackets: UInt64 = 0
    private(set) var feedbackPackets: UInt64 = 0
    /// The client's own estimate (REMB), when it sends one.
    private(set) var receiverEstimate: Double?
    /// When the last receiver report came (wall clock, ns), and the bytes the path had
    /// sent by then: the rate its loss applies to.
    var lastReport: (time: UInt64, bytes: UInt64)?
    /// The round-trip time to the receiver, seconds, from its receiver reports: the
    /// newest sample weighted 1/8 (RFC 6298's smoothing).
    private(set) var roundTripTime: Double?

    // The receiver's reference time, unwrapped.
    private var lastReference: Int64?
    /// The delay-based detector: queues building up, draining, or neither.
    private var detector = OveruseDetector()
    // Rate control.
    private enum State { case hold, increase, decrease }
    private var state = State.increase
    private var lastRateUpdate: Int64?
    /// The delivered rate at past decreases: an exponential average and variance of it,
    /// where the link's capacity probably is.
    private var capacityAverage: Double?
    private var capacityVariance = 0.4
    // Delivery.
    private var delivered: [(arrival: Int64, size: Int)] = []
    private var deliveredStart = 0
    // Probes: the results of each cluster sent, until it is measured.
    private var probes = ProbeMeasurements()
    /// The last probe measured.
    private(set) var lastProbe: ProbeResult?
    // Loss.
    private var lastLossUpdate: Int64?
    private var lostSinceUpdate = 0
    private var countedSinceUpdate = 0

    /// The packets a feedback packet reports on, from the send history: send time and
    /// size from the SFU's record, arrival from the receiver's reference time and deltas.
    func results(of feedback: TransportWideFeedback, history: SendHistory) -> [PacketResult] {
        self.feedbackPackets &+= 1
        let reference = self.unwrap(feedback.referenceTime)
        var arrival = reference * 64_000
        var results: [PacketResult] = []
        results.reserveCapacity(feedback.receiveDeltas.count)
        for (index, delta) in feedback.receiveDeltas.enumerated() {
            let sequenceNumber = feedback.baseSequenceNumber &+ UInt16(truncatingIfNeeded: index)
            if let delta { arrival += Int64(delta) * 250 }
            guard let sent = history.packet(sequenceNumber) else {
                self.unknownPackets &+= 1
                continue
            }
            results.append(
                PacketResult(
                    sendTime: Int64(sent.sendTime / 1_000),
                    size: Int(sent.size),
                    arrival: delta == nil ? nil : arrival,
                    probeCluster: sent.probeCluster
                )
            )
        }
        return results
    }

    /// The 24-bit reference time (64 ms units) made monotonic across wraps.
    private func unwrap(_ reference: Int32) -> Int64 {
        let low = Int64(reference) & 0xFF_FFFF
        guard let last = self.lastReference else {
            self.lastReference = low
            return low
        }
        var step = (low - last) & 0xFF_FFFF
        if step >= 0x80_0000 { step -= 0x100_0000 }
        self.lastReference = last + step
        return last + step
    }

    /// Takes one feedback packet's results at `now` (the SFU's wall clock, µs), and
    /// returns the probes they completed.
    @discardableResult
    func update(_ results: [PacketResult], now: Int64) -> [ProbeResult] {
        guard !results.isEmpty else { return [] }
        self.updateLoss(results, now: now)
        let received = results.filter { $0.arrival != nil }.sorted { ($0.arrival ?? 0) < ($1.arrival ?? 0) }
        for result in received { self.recordDelivery(result) }
        for result in received {
            if let usage = self.detector.add(result) { self.usage = usage }
        }
        let before = self.delayBased
        self.updateRate(now: now)
        // An increase goes no further than 1.5 times what the link delivered plus
        // 10 kbit/s (libwebrtc's throughput-based limit): an estimate the sender never
        // tested is a guess. It never lowers the estimate: a probe may have set it higher.
        let cap = (self.deliveredBitrate ?? .infinity) * 1.5 + 10_000
        if self.delayBased > before { self.delayBased = max(min(self.delayBased, cap), before) }
        let probes = self.measureProbes(results, now: now)
        self.settle()
        return probes
    }

    /// The estimate from its parts: with transport-wide feedback the smaller of delay and
    /// loss, under the client's REMB; without, the REMB and the receiver reports' loss.
    private func settle() {
        var estimate: Double
        if self.feedbackPackets > 0 {
            estimate = min(self.delayBased, self.lossBased)
            if let cap = self.receiverEstimate { estimate = min(estimate, cap) }
        } else {
            estimate = min(self.receiverEstimate ?? .infinity, self.lossBased)
        }
        self.estimate = min(max(estimate, Self.minimumBitrate), Self.maximumBitrate)
    }

    /// The client's REMB: its own receive-side estimate, bit/s.
    func receiverEstimated(_ bitsPerSecond: Int) {
        self.receiverEstimate = Double(max(bitsPerSecond, 0))
        self.settle()
    }

    /// A receiver report's loss (fraction of 256, over the streams this path sends) and
    /// the rate the path sent since the last report: the loss-based estimate, for clients
    /// without transport-wide feedback (whose loss is counted from the feedback itself).
    func receiverReported(fractionLost: Double, sentBitrate: Double?, now: Int64) {
        guard self.feedbackPackets == 0 else { return }
        if let last = self.lastLossUpdate, now - last < Self.lossUpdateInterval { return }
        self.lastLossUpdate = now
        self.lossFraction = fractionLost
        // The first report gives no rate to apply the loss to.
        guard let sentBitrate else { return }
        let delivered = sentBitrate * (1 - fractionLost)
        if self.lossBased >= Self.maximumBitrate { self.lossBased = delivered }
        self.applyLoss(fractionLost, delivered: delivered)
        self.deliveredBitrate = delivered
        self.settle()
    }

    /// A round-trip time sample from a receiver report, seconds.
    func noteRoundTrip(_ seconds: Double) {
        self.roundTripTime = self.roundTripTime.map { 0.875 * $0 + 0.125 * seconds } ?? seconds
    }

    // MARK: - Probes

    /// Cluster `id` finished sending `packets` at `now` (µs).
    func probeSent(_ id: UInt16, packets: Int, now: Int64) {
        self.probes.sent(id, packets: packets, now: now)
    }

    /// The probes `results` completed, measured and applied.
    private func measureProbes(_ results: [PacketResult], now: Int64) -> [ProbeResult] {
        self.probes.add(results, now: now).map { measurement in
            let result = ProbeResult(cluster: measurement.cluster, bitsPerSecond: measurement.rate?.bitsPerSecond)
            self.lastProbe = result
            if let rate = measurement.rate { self.apply(probe: rate.bitsPerSecond, saturated: rate.saturated) }
            return result
        }
    }

    /// A probe's result becomes the delay-based estimate unless the link is overusing
    /// (libwebrtc sets its rate controller to it), and the loss-based one unless loss is
    /// high. A probe the link could not keep up with marks where its capacity is. One it
    /// kept up with only says the link carries at least what was sent, so it never lowers
    /// the estimate: on a loaded machine the server sent a probe slower than planned and
    /// such a result cut a 3 Mbit/s link's estimate to 2.2 Mbit/s (docs/decisions.md).
    private func apply(probe bitrate: Double, saturated: Bool) {
        guard self.usage != .overusing else { return }
        if saturated { self.noteCapacity(bitrate / ProbeMeasurements.utilization) }
        let bitrate = saturated ? bitrate : max(bitrate, self.delayBased)
        self.delayBased = min(max(bitrate, Self.minimumBitrate), Self.maximumBitrate)
        self.lossBased = self.lossFraction > Self.highLoss ? min(self.lossBased, bitrate) : bitrate
    }

    // MARK: - Delivery

    private func recordDelivery(_ result: PacketResult) {
        guard let arrival = result.arrival else { return }
        self.delivered.append((arrival, result.size))
        while self.deliveredStart < self.delivered.count,
            self.delivered[self.deliveredStart].arrival < arrival - Self.deliveryWindow
        {
            self.deliveredStart += 1
        }
        if self.deliveredStart > 1024 {
            self.delivered.removeFirst(self.deliveredStart)
            self.deliveredStart = 0
        }
        let window = self.delivered[self.deliveredStart...]
        guard let first = window.first, arrival - first.arrival >= Self.deliveryWindow / 2 else { return }
        let bytes = window.reduce(0) { $0 + $1.size }
        self.deliveredBitrate = Double(bytes * 8) / (Double(arrival - first.arrival) / 1_000_000)
    }

    // MARK: - Loss

    private func updateLoss(_ results: [PacketResult], now: Int64) {
        self.countedSinceUpdate += results.count
        self.lostSinceUpdate += results.count { $0.arrival == nil }
        guard self.countedSinceUpdate >= 20 else { return }
        if let last = self.lastLossUpdate, now - last < Self.lossUpdateInterval { return }
        let fraction = Double(self.lostSinceUpdate) / Double(self.countedSinceUpdate)
        self.lossFraction = fraction
        self.lastLossUpdate = now
        (self.lostSinceUpdate, self.countedSinceUpdate) = (0, 0)
        self.applyLoss(fraction, delivered: self.deliveredBitrate)
    }

    /// Loss over the last update, against what the link delivered: above 10 % the
    /// loss-based estimate becomes the delivered rate less half the loss, below 2 % it
    /// grows 5 % (never below the delivered rate). It starts from what was delivered, not
    /// from its own last value: the SFU forwards what publishers send, so loss lasts until
    /// the allocator lowers the layers, and compounding cuts would drive it to the floor.
    private func applyLoss(_ fraction: Double, delivered: Double?) {
        if fraction > Self.highLoss {
            let base = delivered ?? min(self.lossBased, self.estimate)
            self.lossBased = max(base * (1 - 0.5 * fraction), Self.minimumBitrate)
        } else if fraction < Self.lowLoss {
            self.lossBased = min(max(self.lossBased * 1.05, delivered ?? 0), Self.maximumBitrate)
        }
    }

    // MARK: - Rate control

    private func updateRate(now: Int64) {
        switch self.usage {
        case .overusing: self.state = .decrease
        case .underusing: self.state = .hold
        case .normal: if self.state == .hold || self.state == .decrease { self.state = .increase }
        }
        let elapsed = Double(now - (self.lastRateUpdate ?? now)) / 1_000_000
        self.lastRateUpdate = now
        switch self.state {
        case .hold:
            break
        case .increase:
            if let delivered = self.deliveredBitrate, delivered > self.delayBased {
                // The link just carried more than the estimate said.
                self.delayBased = delivered
            } else if let average = self.capacityAverage, self.isNearCapacity(average) {
                // Near the last overuse: about one packet per response time (the
                // round-trip time plus 100 ms, libwebrtc's; 200 ms without one).
                let responseTime = (self.roundTripTime ?? 0.1) + 0.1
                let packetBits = min(self.delayBased / 30, 1_200 * 8)
                self.delayBased += max(1_000, 0.5 * min(elapsed / responseTime, 1) * packetBits)
            } else {
                self.delayBased *= pow(Self.increasePerSecond, min(elapsed, 1))
            }
        case .decrease:
            let delivered = self.deliveredBitrate ?? self.delayBased
            self.delayBased = max(Self.decreaseFactor * delivered, Self.minimumBitrate)
            self.noteCapacity(delivered)
            self.state = .hold
            self.usage = .normal
        }
        self.delayBased = min(max(self.delayBased, Self.minimumBitrate), Self.maximumBitrate)
    }

    private func isNearCapacity(_ average: Double) -> Bool {
        let deviation = (self.capacityVariance * average).squareRoot()
        let rate = self.deliveredBitrate ?? self.delayBased
        return rate > average - 3 * deviation && rate < average + 3 * deviation
    }

    /// Keeps where the link's capacity seems to be (libwebrtc's link-capacity estimate:
    /// an exponential average of the delivered rate at overuse, and its normalized variance).
    private func noteCapacity(_ delivered: Double) {
        let kbps = delivered / 1_000
        guard let average = self.capacityAverage.map({ $0 / 1_000 }) else {
            self.capacityAverage = delivered
            return
        }
        let updated = 0.95 * average + 0.05 * kbps
        let normalized = max(updated, 1)
        self.capacityVariance = min(
            max(0.95 * self.capacityVariance + 0.05 * (updated - kbps) * (updated - kbps) / normalized, 0.4),
            2.5
        )
        self.capacityAverage = updated * 1_000
    }
}
