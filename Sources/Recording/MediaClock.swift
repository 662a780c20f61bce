import RTP

/// A track's RTP timestamps as seconds on a clock common to the recording: the sender's
/// wall clock through its sender reports (NTP ↔ RTP, RFC 3550 §6.4.1), which puts audio
/// and video where the sender captured them; or, for a track whose sender reports never
/// came, the arrival of its first packet. Once the stream's first frame is written, its
/// RTP timestamps alone place the rest.
struct MediaClock {
    let clockRate: Double
    private var unwrapper = RTPTimestampUnwrapper()
    /// The sender's NTP time in seconds at an extended RTP timestamp.
    private(set) var senderReport: (seconds: Double, timestamp: Int64)?
    /// The receiver's clock (seconds) at the first packet's extended timestamp.
    private(set) var firstArrival: (seconds: Double, timestamp: Int64)?
    /// Whether a frame was written at a time this clock gave: later sender reports leave
    /// it as it is. A loaded sender's reports are milliseconds off each time; following
    /// each shifted the stream's later frames back and forth, and a video frame placed a
    /// few milliseconds after the one before (a report that moved the clock back) shares
    /// its time once a player or ffmpeg times the video at its frame rate.
    private(set) var isSettled = false

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
        guard !self.isSettled else { return }
        let seconds = Double(ntp >> 32) + Double(ntp & 0xFFFF_FFFF) / 4_294_967_296
        self.senderReport = (seconds, self.extend(timestamp))
    }

    /// A frame was written at a time from this clock.
    mutating func settle() {
        self.isSettled = true
    }

    /// Seconds at extended timestamp `timestamp`: on the sender's clock when `sender`,
    /// else on the receiver's.
    func seconds(at timestamp: Int64, sender: Bool) -> Double? {
        guard let anchor = sender ? self.senderReport : self.firstArrival else { return nil }
        return anchor.seconds + Double(timestamp - anchor.timestamp) / self.clockRate
    }
}
