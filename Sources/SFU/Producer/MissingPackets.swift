import RTP

/// The packets a producer's stream skipped and that have not arrived since: what the SFU
/// asks the publisher to resend with NACKs (RFC 4585 §6.2.1), first as soon as the gap
/// shows and then again every `retryInterval`, at most `maximumRequests` times and for
/// at most `maximumAge`.
///
/// The retry interval follows how long the publisher takes to repair: twice the smoothed
/// time from a request to the repair, within `minimumRetryInterval` and
/// `initialRetryInterval` (the interval until a repair was timed). A retransmission lost
/// on the way is asked for again after about a round trip, not after a fixed 100 ms:
/// with 5 % loss each way, a packet lost twice held its frame for 100 ms or more, and a
/// third loss made a freeze (scripts/janus/lossy_network.py).
///
/// Fixed capacity, no allocation after init: a packet in order costs one comparison; the
/// list is only walked when something is missing.
struct MissingPackets {
    static let capacity = 256
    static let maximumRequests: UInt8 = 8
    static let initialRetryInterval: Duration = .milliseconds(100)
    static let minimumRetryInterval: Duration = .milliseconds(20)
    static let maximumAge: Duration = .seconds(1)

    struct Entry {
        var sequenceNumber: Int64
        var since: ContinuousClock.Instant
        var lastRequested: ContinuousClock.Instant?
        var requests: UInt8 = 0
    }

    /// Oldest first.
    private(set) var entries: [Entry] = []
    private(set) var highest: Int64?
    /// No retry is due before this.
    private var nextRequest: ContinuousClock.Instant?
    /// Packets given up on: too old, asked for too often, or lost in a gap too large to
    /// repair.
    private(set) var abandoned: UInt64 = 0
    /// The smoothed time from a request to its repair (1/8 of each new sample), nil until
    /// one was timed.
    private(set) var repairTime: Duration?

    /// How long a request waits for its repair before it is repeated.
    var retryInterval: Duration {
        guard let repairTime = self.repairTime else { return Self.initialRetryInterval }
        return min(Self.initialRetryInterval, max(Self.minimumRetryInterval, repairTime * 2))
    }

    init() {
        self.entries.reserveCapacity(Self.capacity)
    }

    var isEmpty: Bool { self.entries.isEmpty }

    enum Outcome: Equatable {
        /// The next packet, or a duplicate or straggler nobody waits for.
        case expected
        /// Packets before this one were skipped; they are now missing.
        case gap
        /// A missing packet arrived.
        case repaired
        /// More were skipped than can be repaired; the caller asks for a keyframe.
        case tooManyLost
    }

    /// Records the arrival of `sequenceNumber` (unwrapped).
    mutating func record(_ sequenceNumber: Int64, now: @autoclosure () -> ContinuousClock.Instant) -> Outcome {
        guard let highest = self.highest else {
            self.highest = sequenceNumber
            return .expected
        }
        if sequenceNumber == highest &+ 1 {
            self.highest = sequenceNumber
            return .expected
        }
        if sequenceNumber <= highest {
            guard let index = self.entries.firstIndex(where: { $0.sequenceNumber == sequenceNumber }) else {
                return .expected
            }
            if let requested = self.entries[index].lastRequested {
                let sample = now() - requested
                self.repairTime = self.repairTime.map { $0 + (sample - $0) / 8 } ?? sample
            }
            self.entries.remove(at: index)
            return .repaired
        }
        self.highest = sequenceNumber
        let skipped = sequenceNumber - highest - 1
        guard skipped <= Int64(Self.capacity) else {
            self.abandoned &+= UInt64(self.entries.count) &+ UInt64(skipped)
            self.entries.removeAll(keepingCapacity: true)
            self.nextRequest = nil
            return .tooManyLost
        }
        let instant = now()
        for missing in (highest + 1)..<sequenceNumber {
            if self.entries.count == Self.capacity {
                self.entries.removeFirst()
                self.abandoned &+= 1
            }
            self.entries.append(Entry(sequenceNumber: missing, since: instant))
        }
        self.nextRequest = instant
        return .gap
    }

    /// Whether `sequenceNumber` (16 bits, taken as the nearest to the highest seen) is
    /// waited for.
    func isMissing(_ sequenceNumber: SequenceNumber) -> Bool {
        guard let highest = self.highest, !self.entries.isEmpty else { return false }
        let distance = Int64(Int16(bitPattern: sequenceNumber.rawValue &- UInt16(truncatingIfNeeded: highest)))
        let unwrapped = highest + distance
        return self.entries.contains { $0.sequenceNumber == unwrapped }
    }

    /// Whether a request could be due at `now`: cheap enough for every packet.
    func mayRequest(at now: ContinuousClock.Instant) -> Bool {
        guard let next = self.nextRequest else { return false }
        return next <= now
    }

    /// The packets to ask for now, in order, each counted as asked; entries past their
    /// age or their number of requests are dropped first.
    mutating func due(at now: ContinuousClock.Instant) -> [SequenceNumber] {
        let before = self.entries.count
        self.entries.removeAll { now - $0.since > Self.maximumAge || $0.requests >= Self.maximumRequests }
        self.abandoned &+= UInt64(before - self.entries.count)
        var due: [SequenceNumber] = []
        var next: ContinuousClock.Instant?
        let interval = self.retryInterval
        for index in self.entries.indices {
            if let last = self.entries[index].lastRequested, now - last < interval {
                next = min(next ?? last + interval, last + interval)
                continue
            }
            self.entries[index].lastRequested = now
            self.entries[index].requests += 1
            due.append(SequenceNumber(UInt16(truncatingIfNeeded: self.entries[index].sequenceNumber)))
            next = min(next ?? now + interval, now + interval)
        }
        self.nextRequest = next
        return due
    }
}
