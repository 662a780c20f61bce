import RTP

/// Transport-wide congestion-control feedback for one publishing path
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01): every RTP packet's transport-wide
/// sequence number is recorded with its arrival time, and what arrived since the last
/// feedback is reported back, so that the publisher's own estimator (GCC in browsers)
/// sees its uplink. Arrival times are the kernel's receive times where the socket gives
/// them, in nanoseconds of the realtime clock.
///
/// Feedback is due `interval` after the last one, or at once when a gap shows loss; the
/// path sends it at the end of the receive burst, so no timer wakes the worker for it.
/// Recording is allocation-free: arrival times live in a ring of `capacity` slots indexed
/// by the extended sequence number; building feedback (every 50 ms) allocates.
final class TransportFeedbackGenerator {
    /// The header extension's id on this transport.
    let extensionMap: RTPHeaderExtensionMap
    let senderSSRC: SSRC
    /// Nanoseconds between regular feedback packets.
    let interval: UInt64
    /// Arrival times by extended sequence number modulo the capacity; 0 is "not received".
    private var arrivals: [UInt64]
    private let mask: Int64
    /// The first sequence number not yet reported, and the highest received (extended).
    private(set) var start: Int64 = 0
    private(set) var highest: Int64 = -1
    private var hasStarted = false
    /// The media SSRC the feedback names: the last one seen.
    private var mediaSSRC: SSRC = 0
    private var lastFeedback: UInt64 = 0
    private var latestArrival: UInt64 = 0
    /// Whether feedback waits for the end of the burst.
    private(set) var isDue = false
    private var feedbackPacketCount: UInt8 = 0
    /// Packets that arrived after the feedback covering them was sent, and repeats.
    private(set) var late: UInt64 = 0
    private(set) var duplicates: UInt64 = 0

    /// The most packet statuses one feedback packet carries (about 1,000 bytes at worst).
    static let maximumStatuses = 400
    /// A 64 ms reference-time unit and a 250 µs delta tick, in nanoseconds.
    static let referenceUnit: UInt64 = 64_000_000
    static let tick: UInt64 = 250_000

    init(extensionID: UInt8, senderSSRC: SSRC, interval: Duration = .milliseconds(50), capacity: Int = 2048) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "the capacity is a power of two")
        var map = RTPHeaderExtensionMap()
        map.transportWideCC = extensionID
        self.extensionMap = map
        self.senderSSRC = senderSSRC
        self.interval = UInt64(interval / .nanoseconds(1))
        self.arrivals = Array(repeating: 0, count: capacity)
        self.mask = Int64(capacity - 1)
    }

    /// Records the packet's transport-wide sequence number, when it carries one, with its
    /// arrival time; true when feedback just became due.
    @inline(__always)
    func record(_ packet: RTPPacket, arrival: UInt64) -> Bool {
        guard let sequenceNumber = packet.transportWideSequenceNumber(using: self.extensionMap) else { return false }
        self.mediaSSRC = packet.ssrc
        return self.record(sequenceNumber, arrival: arrival)
    }

    /// Records one arrival; true when feedback just became due.
    func record(_ sequenceNumber: UInt16, arrival: UInt64) -> Bool {
        let arrival = max(arrival, 1)
        self.latestArrival = arrival
        guard self.hasStarted else {
            self.hasStarted = true
            (self.start, self.highest) = (Int64(sequenceNumber), Int64(sequenceNumber))
            self.arrivals[Int(Int64(sequenceNumber) & self.mask)] = arrival
            self.lastFeedback = arrival
            return false
        }
        let step = Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: self.highest)))
        let extended = self.highest + step
        guard extended >= self.start else {
            self.late &+= 1
            return false
        }
        var lossSeen = false
        if extended > self.highest {
            lossSeen = extended > self.highest + 1
            // Slots between the old highest and this one become "not received" (bounded
            // by the ring: what falls off it is given up unreported).
            let capacity = self.mask + 1
            if extended - self.start >= capacity { self.start = extended - capacity + 1 }
            var slot = max(self.highest + 1, extended - capacity + 1)
            while slot < extended {
                self.arrivals[Int(slot & self.mask)] = 0
                slot += 1
            }
            self.highest = extended
        } else if self.arrivals[Int(extended & self.mask)] != 0 {
            self.duplicates &+= 1
            return false
        }
        self.arrivals[Int(extended & self.mask)] = arrival
        guard !self.isDue else { return false }
        if lossSeen || arrival &- self.lastFeedback >= self.interval {
            self.isDue = true
            return true
        }
        return false
    }

    /// Feedback for everything received since the last feedback (several packets when
    /// the deltas or the count do not fit one), and the window moves past it.
    func makeFeedback() -> [TransportWideFeedback] {
        self.isDue = false
        self.lastFeedback = self.latestArrival
        guard self.hasStarted, self.highest >= self.start else { return [] }
        var packets: [TransportWideFeedback] = []
        var base = self.start
        while base <= self.highest, let (packet, next) = self.feedback(from: base) {
            packets.append(packet)
            base = next
        }
        self.start = self.highest + 1
        return packets
    }

    /// One feedback packet from `base` on, and where the next starts: its reference time
    /// is the first received packet's arrival, floored to 64 ms; it ends where a delta
    /// would not fit 16 bits, at `maximumStatuses`, or at the highest received. A run of
    /// losses longer than a packet holds is reported by its end only.
    private func feedback(from start: Int64) -> (TransportWideFeedback, next: Int64)? {
        var first = start
        while first <= self.highest, self.arrivals[Int(first & self.mask)] == 0 { first += 1 }
        guard first <= self.highest else { return nil }
        let base = max(start, first - Int64(Self.maximumStatuses) + 1)
        let reference = self.arrivals[Int(first & self.mask)] / Self.referenceUnit
        var previous = Int64(reference * (Self.referenceUnit / Self.tick))
        var deltas: [Int16?] = Array(repeating: nil, count: Int(first - base))
        var sequenceNumber = first
        while sequenceNumber <= self.highest, deltas.count < Self.maximumStatuses {
            let arrival = self.arrivals[Int(sequenceNumber & self.mask)]
            if arrival == 0 {
                deltas.append(nil)
            } else {
                let ticks = Int64((arrival + Self.tick / 2) / Self.tick)
                guard let delta = Int16(exactly: ticks - previous) else { break }
                deltas.append(delta)
                previous = ticks
            }
            sequenceNumber += 1
        }
        // No trailing losses: the next packet starts with them.
        while deltas.last == .some(nil) { deltas.removeLast() }
        defer { self.feedbackPacketCount &+= 1 }
        let packet = TransportWideFeedback(
            senderSSRC: self.senderSSRC,
            mediaSSRC: self.mediaSSRC,
            baseSequenceNumber: UInt16(truncatingIfNeeded: base),
            referenceTime: Self.signed24(reference),
            feedbackPacketCount: self.feedbackPacketCount,
            receiveDeltas: deltas
        )
        return (packet, base + Int64(deltas.count))
    }

    /// A count of 64 ms units as the field's signed 24 bits (it wraps; receivers unwrap).
    static func signed24(_ value: UInt64) -> Int32 {
        let wrapped = Int32(truncatingIfNeeded: value & 0xFF_FFFF)
        return wrapped >= 0x80_0000 ? wrapped - 0x100_0000 : wrapped
    }
}
