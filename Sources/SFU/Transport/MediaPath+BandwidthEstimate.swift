import ICE
import RTP

/// What the subscriber says of what this path sent (transport-wide feedback, REMB,
/// receiver reports), turned into an estimate of what its link carries
/// (`BandwidthEstimator`).
extension MediaPath {
    /// What the subscriber's link carries, bit/s, once its feedback arrived.
    public var availableBitrate: Int? { self.estimator.map { Int($0.estimate) } }

    /// What resends to the subscriber are budgeted against (`ResendLimiter`), bit/s: the
    /// estimate, or what the link delivered over the last half second when that is more.
    /// Random loss between 2 and 10 % holds the loss-based estimate where it was, which
    /// can be under what the link carries: in scripts/janus/lossy_network.py's call it
    /// stood at 516 kbit/s while the link delivered 617-640 kbit/s, and a lost frame's
    /// resends and their repeats need the budget at once.
    var resendBasis: Int? {
        guard let estimator = self.estimator else { return nil }
        return Int(min(max(estimator.estimate, estimator.deliveredBitrate ?? 0), BandwidthEstimator.maximumBitrate))
    }

    /// The round-trip time to the subscriber, seconds, once its receiver reports named a
    /// sender report of the server's.
    var roundTripTime: Double? { self.estimator?.roundTripTime }

    /// The estimate and what it stands on, for `/admin/rooms`.
    public var bandwidthEstimate: BandwidthEstimate? {
        guard let estimator = self.estimator else { return nil }
        return BandwidthEstimate(
            bitsPerSecond: Int(estimator.estimate),
            delayBased: Int(estimator.delayBased),
            lossBased: Int(min(estimator.lossBased, Double(Int.max / 2))),
            delivered: estimator.deliveredBitrate.map { Int($0) },
            lossFraction: estimator.lossFraction,
            usage: "\(estimator.usage)",
            receiverEstimate: estimator.receiverEstimate.map { Int($0) },
            feedbackPackets: estimator.feedbackPackets,
            unknownPackets: estimator.unknownPackets,
            roundTripTime: estimator.roundTripTime.map { Int(($0 * 1_000).rounded()) },
            probesSent: self.prober.clustersSent,
            lastProbe: estimator.lastProbe.map { $0.bitsPerSecond.map { Int($0) } ?? 0 }
        )
    }

    /// One transport-wide feedback packet from the peer about what this path sent; returns
    /// the media packets it reports lost (none of a bandwidth probe), for their consumers
    /// to resend.
    @discardableResult
    func receiveTransportFeedback(
        _ feedback: TransportWideFeedback,
        now: UInt64 = SelectedUDPSocket.wallClock
    ) -> [SendHistory.Entry] {
        // Feedback on packets this path never numbered.
        guard let history = self.sendHistory else {
            self.drops.record(.unknownFeedback)
            return []
        }
        self.updateEstimate { estimator in
            let results = estimator.results(of: feedback, history: history)
            guard !results.isEmpty else { return self.drops.record(.unknownFeedback) }
            let measured = estimator.update(results, now: Int64(now / 1_000))
            self.updateProbing(measured, estimator: estimator, now: Int64(now / 1_000))
        }
        var lost: [SendHistory.Entry] = []
        for (index, delta) in feedback.receiveDeltas.enumerated() where delta == nil {
            let sequenceNumber = feedback.baseSequenceNumber &+ UInt16(truncatingIfNeeded: index)
            guard let sent = history.packet(sequenceNumber), sent.probeCluster == 0, sent.ssrc != 0 else { continue }
            lost.append(sent)
        }
        return lost
    }

    /// The client's REMB about what this path sends.
    func receiveReceiverEstimate(_ remb: REMB) {
        self.updateEstimate { $0.receiverEstimated(remb.bitsPerSecond) }
    }

    /// A receiver report's blocks about the streams this path sends (`ssrcs`): their
    /// loss, applied to the rate sent since the last report.
    func receiveReceiverReport(
        _ report: ReceiverReport,
        sending ssrcs: Set<SSRC>,
        now: UInt64 = SelectedUDPSocket.wallClock
    ) {
        let blocks = report.reports.filter { ssrcs.contains($0.ssrc) }
        guard !blocks.isEmpty else { return }
        let ntpNow = NTPTime.timestamp(seconds: Double(now) / 1_000_000_000 + NTPTime.unixOffset)
        let roundTrips = blocks.compactMap {
            NTPTime.roundTrip(lastSenderReport: $0.lastSenderReport, delay: $0.delaySinceLastSenderReport, now: ntpNow)
        }
        let fraction = blocks.reduce(0.0) { $0 + Double($1.fractionLost) / 256 } / Double(blocks.count)
        let sent = self.counters.bytesOut
        self.updateEstimate { estimator in
            var rate: Double?
            if let last = estimator.lastReport, now > last.time {
                rate = Double(sent &- last.bytes) * 8 / (Double(now - last.time) / 1_000_000_000)
            }
            estimator.lastReport = (now, sent)
            if let roundTrip = roundTrips.min() { estimator.noteRoundTrip(roundTrip) }
            estimator.receiverReported(fractionLost: fraction, sentBitrate: rate, now: Int64(now / 1_000))
        }
    }

    /// Runs `body` on the path's estimator (made at the first feedback of any kind) and
    /// tells `didUpdateEstimate` when the estimate changed.
    private func updateEstimate(_ body: (BandwidthEstimator) -> Void) {
        let estimator = self.estimator ?? BandwidthEstimator()
        self.estimator = estimator
        let before = estimator.estimate
        body(estimator)
        if estimator.estimate != before { self.didUpdateEstimate?(Int(estimator.estimate)) }
    }
}

/// A subscriber link's bandwidth estimate and its parts, bit/s.
public struct BandwidthEstimate: Sendable, Codable, Equatable {
    public var bitsPerSecond: Int
    public var delayBased: Int
    public var lossBased: Int
    /// What the link delivered over the last 500 ms.
    public var delivered: Int?
    public var lossFraction: Double
    /// The delay-based detector's last verdict: normal, overusing or underusing.
    public var usage: String
    /// The client's own estimate (REMB), when it sends one.
    public var receiverEstimate: Int?
    public var feedbackPackets: UInt64
    /// Packets the feedback named that the send history did not hold.
    public var unknownPackets: UInt64
    /// The round-trip time to the subscriber, ms, from its receiver reports.
    public var roundTripTime: Int?
    /// Bandwidth probes sent, and what the last one measured (0: too little of it arrived).
    public var probesSent: UInt64
    public var lastProbe: Int?
}
