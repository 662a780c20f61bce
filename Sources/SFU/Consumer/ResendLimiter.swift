/// How much a consumer resends for NACKs: each of its recent packets (its own numbering)
/// at most once per round trip (100 ms when it is not known), twice at once when it is
/// NACKed again after that, and in all at most a quarter of what its path carries
/// (`MediaPath.resendBasis`). A packet transport-wide feedback reports lost is resent
/// unless it was resent since the lost copy went, within the same budget.
///
/// A subscriber on a congested link NACKs every packet it still misses again each round
/// trip. Answering every NACK in full resends the congestion, and the retransmissions
/// crowd out the media: behind a 500 kbit/s link, a Chromium subscriber's NACKs had the
/// SFU send 4 Mbit/s of retransmissions, 94 % of what it sent was lost, and the call
/// stopped. mediasoup skips a packet resent within the round-trip time (100 ms when it
/// has none), and libwebrtc's sender caps retransmissions at its target rate; this does
/// both (the round trip from the subscriber's receiver reports), with a quarter of the estimate (250 kbit/s before there is one), so that the
/// media keeps most of the link. Fixed storage, made at a consumer's first NACK.
struct ResendLimiter {
    static let capacity = 512
    static let interval: UInt64 = 100_000_000
    /// With a round-trip time, a packet is resent at most once per round trip, and at
    /// most every 10 ms.
    static let minimumInterval = 0.01
    static let share = 0.25
    static let rateWithoutEstimate = 250_000.0
    /// The budget holds at most a second of its rate: a lost frame's packets and their
    /// repeats. At 250 ms it held 3 packets of a 500 kbit/s call, and a whole frame lost
    /// once more left the subscriber's next NACKs over budget for as long as its frame
    /// rate froze (scripts/janus/lossy_network.py, 10 freezes in 120 s, now none).
    static let depth = 1.0

    enum Verdict: Equatable {
        case resend
        /// NACKed again a round trip after it was resent: that copy was lost too, so two
        /// go now. A subscriber that would otherwise wait another round trip of its own
        /// (Chromium repeats a NACK after 100 ms when it has no round-trip time, as a
        /// receive-only peer without RTCP XR has none) more than likely freezes.
        case resendTwice
        case resentRecently
        case overBudget
    }

    private var sequenceNumbers = [UInt16](repeating: 0, count: ResendLimiter.capacity)
    private var times = [UInt64](repeating: 0, count: ResendLimiter.capacity)
    private var budget = 0.0
    private var refilled: UInt64 = 0

    /// Whether packet `sequenceNumber` of `size` bytes may be resent at `now` (wall
    /// clock, ns) on a path estimated at `estimate` bit/s with a round-trip time of
    /// `roundTrip` seconds (100 ms when not known); when it may, it counts as resent then.
    mutating func verdict(
        _ sequenceNumber: UInt16,
        size: Int,
        now: UInt64,
        estimate: Int?,
        roundTrip: Double? = nil
    ) -> Verdict {
        let slot = Int(sequenceNumber) & (Self.capacity - 1)
        let interval = roundTrip.map { UInt64(max($0, Self.minimumInterval) * 1_000_000_000) } ?? Self.interval
        let resentBefore = self.sequenceNumbers[slot] == sequenceNumber && self.times[slot] != 0
        if resentBefore, now &- self.times[slot] < interval {
            return .resentRecently
        }
        guard self.spend(size, now: now, estimate: estimate) else { return .overBudget }
        let twice = resentBefore && self.budget >= Double(size)
        if twice { self.budget -= Double(size) }
        self.sequenceNumbers[slot] = sequenceNumber
        self.times[slot] = now
        return twice ? .resendTwice : .resend
    }

    /// Whether packet `sequenceNumber`, a copy of which sent at `sentAt` the subscriber's
    /// transport-wide feedback reports lost, may be resent at `now`: not when it was resent
    /// since that copy went (`resentRecently`: the loss is being repaired already), nor
    /// beyond the budget. Times on the clock the path's send history uses, compared to the
    /// microsecond it keeps them to (the NACK that resent it came later than that; the
    /// resend reported lost was recorded in the same one).
    mutating func verdict(
        lostCopyOf sequenceNumber: UInt16,
        sentAt: UInt64,
        size: Int,
        now: UInt64,
        estimate: Int?
    ) -> Verdict {
        let slot = Int(sequenceNumber) & (Self.capacity - 1)
        if self.sequenceNumbers[slot] == sequenceNumber, self.times[slot] / 1_000 > sentAt / 1_000 {
            return .resentRecently
        }
        guard self.spend(size, now: now, estimate: estimate) else { return .overBudget }
        self.sequenceNumbers[slot] = sequenceNumber
        self.times[slot] = now
        return .resend
    }

    /// Refills the budget up to `now` and takes `size` bytes from it, if it holds them.
    private mutating func spend(_ size: Int, now: UInt64, estimate: Int?) -> Bool {
        let bytesPerSecond = (estimate.map { Double($0) * Self.share } ?? Self.rateWithoutEstimate) / 8
        let elapsed = self.refilled == 0 ? Self.depth : Double(now &- self.refilled) / 1_000_000_000
        self.budget = min(self.budget + bytesPerSecond * min(elapsed, Self.depth), bytesPerSecond * Self.depth)
        self.refilled = now
        guard self.budget >= Double(size) else { return false }
        self.budget -= Double(size)
        return true
    }
}
