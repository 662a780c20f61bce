/// The most media a publisher may send, enforced where its datagrams arrive: a token
/// bucket in bytes, as deep as a second of the limit, refilled from the datagrams' arrival
/// times (no clock read of its own). A publisher that keeps to the REMB it is sent never
/// meets it; what one beyond it sends is dropped once authenticated (so that datagrams
/// forged with its address take nothing from it), before any routing, and counted.
struct IngressBitrateLimit {
    let bytesPerSecond: UInt64
    /// The most bytes that may arrive at once: a second's worth.
    let depth: UInt64
    private var tokens: UInt64
    /// When the bucket was last refilled (realtime nanoseconds); 0 before the first datagram.
    private var refilled: UInt64 = 0
    /// When a datagram was last refused; 0 before any.
    private var refused: UInt64 = 0

    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// At most 100 Gbit/s, which keeps the refill's product within 64 bits.
    static let highest = 100_000_000_000

    init(bitsPerSecond: Int) {
        self.bytesPerSecond = UInt64(max(1, min(bitsPerSecond, Self.highest) / 8))
        self.depth = self.bytesPerSecond
        self.tokens = self.depth
    }

    /// Whether a datagram of `size` bytes that arrived at `now` is within the limit (and
    /// then takes its bytes). A clock that went back refills nothing; without a time (0)
    /// nothing can be measured, and the datagram is admitted.
    mutating func admits(_ size: Int, at now: UInt64) -> Bool {
        guard now != 0 else { return true }
        if now > self.refilled {
            let elapsed = now - self.refilled
            if self.refilled == 0 || elapsed >= Self.nanosecondsPerSecond {
                self.tokens = self.depth
            } else {
                // elapsed < 10^9 ns and bytesPerSecond <= 1.25 × 10^10: the product fits.
                self.tokens = min(self.depth, self.tokens + elapsed * self.bytesPerSecond / Self.nanosecondsPerSecond)
            }
            self.refilled = now
        }
        let bytes = UInt64(size)
        guard self.tokens >= bytes else {
            self.refused = now
            return false
        }
        self.tokens -= bytes
        return true
    }

    /// Whether a datagram was refused within the second before `now`: the publisher is
    /// sending beyond the limit, and is not asked to resend what the limit dropped (each
    /// resend would be more of the same).
    func isRefusing(at now: UInt64) -> Bool {
        self.refused != 0 && now &- self.refused < Self.nanosecondsPerSecond
    }
}
