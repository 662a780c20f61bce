/// What an egress path sent with a transport-wide sequence number: when (wall clock,
/// nanoseconds) and how many bytes, for as long as the subscriber's feedback may still
/// name it. A ring indexed by the 16-bit number, allocated once; recording allocates
/// nothing. Held by its path only.
final class SendHistory {
    struct Entry {
        var sequenceNumber: UInt16
        var size: UInt16
        var sendTime: UInt64
        /// The bandwidth probe it was part of, or 0.
        var probeCluster: UInt16
    }

    /// At 4,000 packets a second (20 video tracks at 2 Mbit/s to one subscriber), half a
    /// second; feedback comes every 50–100 ms.
    static let capacity = 2048

    private let entries: UnsafeMutableBufferPointer<Entry>

    init() {
        self.entries = .allocate(capacity: Self.capacity)
        self.entries.initialize(repeating: Entry(sequenceNumber: 0, size: 0, sendTime: 0, probeCluster: 0))
    }

    deinit {
        self.entries.deallocate()
    }

    @inline(__always)
    func record(_ sequenceNumber: UInt16, size: Int, at sendTime: UInt64, probeCluster: UInt16 = 0) {
        self.entries[Int(sequenceNumber) & (Self.capacity - 1)] = Entry(
            sequenceNumber: sequenceNumber,
            size: UInt16(clamping: size),
            sendTime: sendTime,
            probeCluster: probeCluster
        )
    }

    /// The packet sent as `sequenceNumber`, if the ring still holds it.
    func packet(_ sequenceNumber: UInt16) -> Entry? {
        let entry = self.entries[Int(sequenceNumber) & (Self.capacity - 1)]
        guard entry.sendTime != 0, entry.sequenceNumber == sequenceNumber else { return nil }
        return entry
    }
}
