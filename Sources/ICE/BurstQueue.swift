/// What waits for the end of the current receive burst: each item's `flushBurst()` runs
/// once everything ready now has been handled. A media worker drains its queue at the end
/// of each round of its loop; code that drives the per-packet path without a loop (tests,
/// benchmarks) drains one with `flush()`. Used on one thread only.
public final class BurstQueue {
    private var items: [any BurstFlushing] = []
    /// The wall clock (realtime nanoseconds) when the datagram being handled now was
    /// taken up, when its receiver read it; 0 otherwise. Egress paths stamp what they send
    /// for it with this time instead of reading the clock once per copy.
    public var clock: UInt64 = 0

    public init() {
        self.items.reserveCapacity(1024)
    }

    /// Asks for `item.flushBurst()` at the end of the burst. The caller asks once per
    /// burst (it keeps its own "pending" flag).
    public func append(_ item: any BurstFlushing) {
        self.items.append(item)
    }

    /// Flushes what the burst collected.
    public func flush() {
        self.clock = 0
        guard !self.items.isEmpty else { return }
        for item in self.items { item.flushBurst() }
        self.items.removeAll(keepingCapacity: true)
    }
}

/// Something that collects work during a burst and finishes it at its end (batched sends).
public protocol BurstFlushing: AnyObject {
    func flushBurst()
}
