import RTP

/// Talking detection from RFC 6464 audio levels, the way Janus's VideoRoom decides it:
/// the levels of a window of packets are averaged, and a window whose average is under
/// the threshold (louder than it) means talking. Only the window's end can change the
/// state, so the per-packet cost is one addition.
struct AudioLevelMeter {
    /// Packets per decision (100 packets of 20 ms: two seconds).
    let window: Int
    /// Average level in -dBov below which the speaker is talking (Janus's default 25).
    let threshold: Int
    private var sum = 0
    private var count = 0
    private(set) var isTalking = false

    init(window: Int, threshold: Int) {
        self.window = max(1, window)
        self.threshold = threshold
    }

    /// Adds one packet's level; returns the new state and the window's average when
    /// this packet ended a window that changed it.
    mutating func record(_ level: AudioLevel) -> (isTalking: Bool, average: Int)? {
        self.sum &+= Int(level.level)
        self.count &+= 1
        guard self.count >= self.window else { return nil }
        let average = self.sum / self.count
        self.sum = 0
        self.count = 0
        let talking = average < self.threshold
        guard talking != self.isTalking else { return nil }
        self.isTalking = talking
        return (talking, average)
    }

    /// A muted or ended track stops talking at once.
    mutating func reset() -> Bool {
        defer {
            self.sum = 0
            self.count = 0
            self.isTalking = false
        }
        return self.isTalking
    }
}
