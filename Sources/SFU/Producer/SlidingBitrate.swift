/// A stream's bitrate over a sliding window, from its byte count sampled now and then
/// (once a second by the room's receiving check): nothing per packet.
public struct SlidingBitrate: Sendable {
    /// How far back the rate looks.
    public let window: Duration
    var samples: [(at: ContinuousClock.Instant, bytes: UInt64)] = []

    public init(window: Duration = .seconds(2)) {
        self.window = window
    }

    /// Takes a sample of the stream's byte count (payload bytes since it started).
    mutating func sample(bytes: UInt64, at now: ContinuousClock.Instant) {
        self.samples.append((now, bytes))
        // Keep one sample at or before the window's start, so the rate covers all of it.
        while self.samples.count > 2, now - self.samples[1].at >= self.window { self.samples.removeFirst() }
    }

    /// Bits per second over the window; 0 until two samples were taken.
    public var bitsPerSecond: Int {
        guard let first = self.samples.first, let last = self.samples.last, last.at > first.at else { return 0 }
        let elapsed = (last.at - first.at).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return Int(Double(last.bytes &- first.bytes) * 8 / seconds)
    }
}
