import RTP

/// A track's RTP timestamps as seconds on a clock common to the recording: the sender's
/// wall clock through its sender reports (NTP ↔ RTP, RFC 3550 §6.4.1), which puts audio
/// and video where the sender captured them; or, for a track whose sender reports never
/// came, the arrival of its first packet.
struct MediaClock {
    let clockRate: Double
    private var unwrapper = RTPTimestampUnwrapper()
    /// The sender's NTP time in seconds at an extended RTP timestamp.
    private(set) var senderReport: (seconds: Double, timestamp: Int64)?
    /// The receiver's clock (seconds) at the first packet's extended timestamp.
    private(set) var firstArrival: (seconds: Double, timestamp: Int64)?

    init(clockRate: Int) {
        self.clockRate = Double(clockRate)
    }

    /// The extended (wrap-free) value of `timestamp`, near the newest seen.
    mutating func extend(_ timestamp: UInt32) -> Int64 {
        self.unwrapper.unwrap(RTPTimestamp(timestamp))
    }

    mutating func noteArrival(of timestamp: UInt32, at seconds: Double) {
        if self.firstArrival == nil { self.firstArrival = (seconds, self.extend(timestamp)) }
    }

    /// A sender report: `ntp` is its 64-bit NTP timestamp.
    mutating func noteSenderReport(ntp: UInt64, timestamp: UInt32) {
        let seconds = Double(ntp >> 32) + Double(ntp & 0xFFFF_FFFF) / 4_294_967_296
        self.senderReport = (seconds, self.extend(timestamp))
    }

    /// Seconds at extended timestamp `timestamp`: on the sender's clock when `sender`,
    /// else on the receiver's.
    func seconds(at timestamp: Int64, sender: Bool) -> Double? {
        guard let anchor = sender ? self.senderReport : self.firstArrival else { return nil }
        return anchor.seconds + Double(timestamp - anchor.timestamp) / self.clockRate
    }
}
