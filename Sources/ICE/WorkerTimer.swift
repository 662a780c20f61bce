internal import CNice
import HeapModule

/// A repeating timer on a media worker: RTCP reports, a room's checks, DTLS
/// retransmissions, a peer's silence watchdog, probe pacing. Created, fired and cancelled
/// on the worker's thread.
///
/// Every timer of a worker is an entry in one heap (`WorkerTimers`), fired in the rounds
/// of the worker's loop (`ContextMux.turn`), not a GLib source of its own: a GLib
/// iteration checks every source of its context, so a timer per room on the worker's
/// context made each of the worker's wake-ups cost in proportion to its rooms, and a
/// timer on a peer's own context cost a whole iteration of that context each time it
/// fired (docs/decisions.md, "One timer heap per worker").
public final class WorkerTimer {
    /// Microseconds between two calls.
    let interval: Int
    var body: (() -> Bool)?

    /// Calls `body` every `interval` until it returns false or `cancel()` is called.
    public convenience init(on worker: MediaWorker, every interval: Duration, _ body: @escaping () -> Bool) {
        precondition(worker.isCurrentThread, "a WorkerTimer is created on its worker")
        self.init(timers: worker.mux.timers, every: interval, body)
    }

    /// A timer of one peer connection, on its ICE agent's worker.
    public convenience init(on agent: ICEAgent, every interval: Duration, _ body: @escaping () -> Bool) {
        precondition(agent.worker.isCurrentThread, "a WorkerTimer is created on its worker")
        self.init(timers: agent.worker.mux.timers, every: interval, body)
    }

    init(timers: WorkerTimers, every interval: Duration, _ body: @escaping () -> Bool) {
        self.interval = Int(max(1, min(interval / .microseconds(1), Double(Int32.max) * 1_000)))
        self.body = body
        timers.schedule(self, after: self.interval)
    }

    /// Whether `body` will be called again: false once it returned false or the timer was
    /// cancelled.
    public var isRunning: Bool { self.body != nil }

    /// Stops the timer; `body` is not called again. (Its heap entry goes when it comes
    /// due, releasing the timer then.)
    public func cancel() {
        self.body = nil
    }
}

/// A worker's timers, soonest first. Worker thread only.
final class WorkerTimers {
    struct Entry: Comparable {
        var time: Int  // g_get_monotonic_time, microseconds
        var order: Int
        let timer: WorkerTimer

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.time, lhs.order) < (rhs.time, rhs.order) }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.time == rhs.time && lhs.order == rhs.order }
    }

    private var entries = Heap<Entry>()
    private var order = 0
    /// When the soonest timer is due, if any.
    var nextDeadline: Int? { self.entries.min?.time }

    /// When each timer is due, soonest first.
    var dueTimes: [Int] { self.entries.unordered.map(\.time).sorted() }

    /// Timers this slow or slower (a room's reports, a peer's silence watchdog: once a
    /// second) come due on a grid of `coalescingGrid` microseconds, so that those of
    /// hundreds of rooms and peers fire together in a few wake-ups of the worker a second,
    /// not one wake-up each at its own phase. Faster ones (DTLS retransmissions, repairs,
    /// probe pacing) keep their exact time.
    static let coalescedInterval = 500_000
    static let coalescingGrid = 50_000

    /// The latest time a fast timer was scheduled for: one that goes on is scheduled
    /// again every interval, so none is running once this has passed.
    private var lastFastTime = Int.min

    /// Whether a timer faster than `coalescedInterval` runs (is due later than `now`).
    func hasFastTimers(now: Int) -> Bool { self.lastFastTime >= now }

    /// The first step of the grid after `time`.
    static func gridStep(after time: Int) -> Int { (time / Self.coalescingGrid + 1) * Self.coalescingGrid }

    func schedule(_ timer: WorkerTimer, after microseconds: Int) {
        var time = g_get_monotonic_time() + microseconds
        if microseconds >= Self.coalescedInterval {
            time = Self.gridStep(after: time)
        } else {
            self.lastFastTime = max(self.lastFastTime, time)
        }
        self.order &+= 1
        self.entries.insert(Entry(time: time, order: self.order, timer: timer))
    }

    /// Calls every timer due at `now`, each once, and schedules those that go on.
    func fire(now: Int) {
        while let first = self.entries.min, first.time <= now {
            self.entries.removeMin()
            let timer = first.timer
            guard let body = timer.body else { continue }
            if body() {
                // Unless the body cancelled it.
                if timer.body != nil { self.schedule(timer, after: timer.interval) }
            } else {
                timer.body = nil
            }
        }
    }

    /// Cancels every timer (the worker stops).
    func cancelAll() {
        for entry in self.entries.unordered { entry.timer.body = nil }
        self.entries = Heap()
    }
}
