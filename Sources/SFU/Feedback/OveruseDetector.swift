/// The delay-based half of the subscriber link's estimate (draft-ietf-rmcat-gcc-02 §5):
/// packets grouped by send time (5 ms bursts), each pair of groups gives a one-way delay
/// variation, a trendline over the last 20 smoothed samples tells whether queues build up
/// (overuse), drain (underuse) or neither, against an adaptive threshold. Written from the
/// draft and from libwebrtc's trendline estimator's constants.
struct OveruseDetector {
    /// Send-time bursts grouped as one (draft-ietf-rmcat-gcc-02 §5.2, libwebrtc's 5 ms).
    static let burstInterval: Int64 = 5_000
    /// Trendline: window of smoothed delay samples, smoothing, gain (libwebrtc's
    /// TrendlineEstimator: 20, 0.9, 4), and the cap on the number of deltas that scales
    /// the trend (60).
    static let trendlineWindow = 20
    static let smoothing = 0.9
    static let thresholdGain = 4.0
    static let maximumDeltas = 60
    /// Overuse detection: initial threshold 12.5 ms, adapted with k_up 0.0087 and
    /// k_down 0.039 within 6–600 ms, not adapted on outliers 15 ms past it, overuse only
    /// after 10 ms above it (libwebrtc's trendline detector; the draft's §5.4 has the form).
    static let initialThreshold = 12.5
    static let thresholdUp = 0.0087
    static let thresholdDown = 0.039
    static let maximumAdaptOffset = 15.0
    static let overuseTime = 10.0

    // Send-time groups.
    private struct Group {
        var firstSend: Int64
        var lastSend: Int64
        var lastArrival: Int64
        var size: Int

        /// A group that starts with a packet sent at `send`, of `size` bytes, arrived at `arrival`.
        init(send: Int64, arrival: Int64, size: Int) {
            (self.firstSend, self.lastSend, self.lastArrival, self.size) = (send, send, arrival, size)
        }
    }
    private var current: Group?
    private var previous: Group?
    // Trendline.
    private var deltas = 0
    private var firstArrival: Int64?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var samples: [(x: Double, y: Double)] = []
    private var previousTrend = 0.0
    private var threshold = OveruseDetector.initialThreshold
    private var lastThresholdUpdate: Int64?
    private var timeOverUsing = -1.0
    private var overuseCounter = 0

    init() {
        self.samples.reserveCapacity(Self.trendlineWindow + 1)
    }

    /// Adds a received packet to the send-time groups; a completed group after another
    /// gives one delay-variation sample, and its verdict (nil: none, or unchanged).
    mutating func add(_ result: BandwidthEstimator.PacketResult) -> BandwidthEstimator.Usage? {
        guard let arrival = result.arrival else { return nil }
        guard var group = self.current else {
            self.current = Group(send: result.sendTime, arrival: arrival, size: result.size)
            return nil
        }
        // Reordered in sending: belongs to an older group, skipped.
        if result.sendTime < group.firstSend { return nil }
        if result.sendTime - group.firstSend <= Self.burstInterval {
            group.lastSend = max(group.lastSend, result.sendTime)
            group.lastArrival = max(group.lastArrival, arrival)
            group.size += result.size
            self.current = group
            return nil
        }
        var usage: BandwidthEstimator.Usage?
        if let previous = self.previous {
            let sendDelta = Double(group.lastSend - previous.lastSend) / 1_000
            let arrivalDelta = Double(group.lastArrival - previous.lastArrival) / 1_000
            if arrivalDelta - sendDelta > 3_000 || arrivalDelta < -1_000 {
                // The receiver's clock jumped or the stream paused: start over.
                self.resetDelay()
            } else {
                usage = self.trendline(
                    arrivalDelta: arrivalDelta,
                    sendDelta: sendDelta,
                    arrival: Double(group.lastArrival) / 1_000
                )
            }
        }
        self.previous = group
        self.current = Group(send: result.sendTime, arrival: arrival, size: result.size)
        return usage
    }

    private mutating func resetDelay() {
        (self.previous, self.deltas, self.firstArrival) = (nil, 0, nil)
        (self.accumulatedDelay, self.smoothedDelay) = (0, 0)
        self.samples.removeAll(keepingCapacity: true)
        (self.timeOverUsing, self.overuseCounter, self.previousTrend) = (-1, 0, 0)
    }

    /// One delay-variation sample (milliseconds): the trendline's slope over the window,
    /// then the overuse detector.
    private mutating func trendline(
        arrivalDelta: Double,
        sendDelta: Double,
        arrival: Double
    ) -> BandwidthEstimator.Usage? {
        self.deltas = min(self.deltas + 1, 1_000)
        self.accumulatedDelay += arrivalDelta - sendDelta
        self.smoothedDelay = Self.smoothing * self.smoothedDelay + (1 - Self.smoothing) * self.accumulatedDelay
        if self.firstArrival == nil { self.firstArrival = Int64(arrival * 1_000) }
        let x = arrival - Double(self.firstArrival ?? 0) / 1_000
        self.samples.append((x, self.smoothedDelay))
        if self.samples.count > Self.trendlineWindow { self.samples.removeFirst() }
        var trend = self.previousTrend
        if self.samples.count == Self.trendlineWindow, let slope = Self.slope(self.samples) { trend = slope }
        return self.detect(trend: trend, sendDelta: sendDelta, now: arrival)
    }

    /// The least-squares slope of `samples`, or nil when every x is the same.
    static func slope(_ samples: [(x: Double, y: Double)]) -> Double? {
        let count = Double(samples.count)
        let meanX = samples.reduce(0) { $0 + $1.x } / count
        let meanY = samples.reduce(0) { $0 + $1.y } / count
        var numerator = 0.0
        var denominator = 0.0
        for sample in samples {
            numerator += (sample.x - meanX) * (sample.y - meanY)
            denominator += (sample.x - meanX) * (sample.x - meanX)
        }
        return denominator == 0 ? nil : numerator / denominator
    }

    /// The verdict on one sample; nil while a rise past the threshold is not yet overuse.
    private mutating func detect(trend: Double, sendDelta: Double, now: Double) -> BandwidthEstimator.Usage? {
        let modified = Double(min(self.deltas, Self.maximumDeltas)) * trend * Self.thresholdGain
        var usage: BandwidthEstimator.Usage?
        if modified > self.threshold {
            self.timeOverUsing = self.timeOverUsing < 0 ? sendDelta / 2 : self.timeOverUsing + sendDelta
            self.overuseCounter += 1
            if self.timeOverUsing > Self.overuseTime, self.overuseCounter > 1, trend >= self.previousTrend {
                (self.timeOverUsing, self.overuseCounter) = (0, 0)
                usage = .overusing
            }
        } else if modified < -self.threshold {
            (self.timeOverUsing, self.overuseCounter) = (-1, 0)
            usage = .underusing
        } else {
            (self.timeOverUsing, self.overuseCounter) = (-1, 0)
            usage = .normal
        }
        self.previousTrend = trend
        self.adaptThreshold(modified, now: Int64(now * 1_000))
        return usage
    }

    private mutating func adaptThreshold(_ modified: Double, now: Int64) {
        let last = self.lastThresholdUpdate ?? now
        self.lastThresholdUpdate = now
        guard abs(modified) <= self.threshold + Self.maximumAdaptOffset else { return }
        let k = abs(modified) < self.threshold ? Self.thresholdDown : Self.thresholdUp
        let elapsed = Double(min(now - last, 100_000)) / 1_000
        self.threshold += k * (abs(modified) - self.threshold) * elapsed
        self.threshold = min(max(self.threshold, 6), 600)
    }
}
