import RTP

/// A track's packets back in sequence order, on extended sequence numbers: a packet is
/// held while an earlier one is missing, until the missing one comes (the SFU's NACKs
/// repair most losses within a round trip) or the oldest held has waited `maximumWait`,
/// or `capacity` are held; then the gap is given up. Duplicates and packets older than
/// what was already given out are dropped.
struct ReorderBuffer {
    let maximumWait: UInt64
    let capacity: Int
    private var held: [Int64: (packet: RTPPacket, arrival: UInt64)] = [:]
    private var unwrapper = SequenceNumberUnwrapper()
    private var nextExpected: Int64?
    private(set) var dropped = 0
    private(set) var lost = 0

    init(maximumWait: UInt64 = 500_000_000, capacity: Int = 512) {
        self.maximumWait = maximumWait
        self.capacity = capacity
    }

    var isEmpty: Bool { self.held.isEmpty }

    mutating func insert(_ packet: RTPPacket, arrival: UInt64) {
        let extended = self.unwrapper.unwrap(packet.sequenceNumber)
        if self.nextExpected == nil { self.nextExpected = extended }
        guard extended >= self.nextExpected ?? extended, self.held[extended] == nil else {
            self.dropped += 1
            return
        }
        self.held[extended] = (packet, arrival)
    }

    /// The next packet in order, and whether packets before it were given up; nil while
    /// the next one is still awaited.
    mutating func next(now: UInt64) -> (packet: RTPPacket, afterGap: Bool)? {
        guard var expected = self.nextExpected, !self.held.isEmpty else { return nil }
        var afterGap = false
        if self.held[expected] == nil {
            let oldest = self.held.min { $0.key < $1.key }!
            guard self.held.count >= self.capacity || now >= oldest.value.arrival + self.maximumWait else {
                return nil
            }
            self.lost += Int(oldest.key - expected)
            expected = oldest.key
            afterGap = true
        }
        let entry = self.held.removeValue(forKey: expected)!
        self.nextExpected = expected + 1
        return (entry.packet, afterGap)
    }
}
