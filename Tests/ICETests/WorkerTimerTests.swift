import CNice
import Dispatch
import Glibc
import Synchronization
import Testing

@testable import ICE

/// A worker's timers: slow ones come due together on a grid, fast ones at their time.
@Suite struct WorkerTimerTests {
    /// GLib's monotonic clock (`g_get_monotonic_time`), microseconds.
    static func monotonicMicroseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000 + time.tv_nsec / 1_000
    }

    @Test func slowTimersComeDueOnAGridAndFastOnesAtTheirTime() {
        let timers = WorkerTimers()
        let grid = WorkerTimers.coalescingGrid
        let before = Self.monotonicMicroseconds()
        let slow = (0..<5).map { _ in WorkerTimer(timers: timers, every: .seconds(1)) { true } }
        let fast = WorkerTimer(timers: timers, every: .milliseconds(20)) { true }
        let after = Self.monotonicMicroseconds()
        let due = timers.dueTimes
        guard due.count == 6 else {
            Issue.record("\(due.count) due times for 6 timers")
            return
        }
        // The fast one first, at its own time; the slow ones on the grid.
        #expect(due[0] >= before + 20_000 && due[0] <= after + 20_000)
        #expect(timers.nextDeadline == due[0])
        for time in due.dropFirst() {
            #expect(time % grid == 0, "\(time)")
            #expect(time > before + 1_000_000 && time <= after + 1_000_000 + grid)
        }
        // Made within a few microseconds of each other, the five share one time.
        #expect(Set(due.dropFirst()).count <= 2)
        fast.cancel()
        for timer in slow { timer.cancel() }
        #expect(!fast.isRunning && slow.allSatisfy { !$0.isRunning })

        // Fired when due, each slow one runs once and comes due again an interval on, on
        // the grid again.
        let counting = WorkerTimers()
        var runs = 0
        let counted = (0..<3).map { _ in
            WorkerTimer(timers: counting, every: .microseconds(WorkerTimers.coalescedInterval)) {
                runs += 1
                return true
            }
        }
        let last = counting.dueTimes.max() ?? 0
        while Self.monotonicMicroseconds() < last { usleep(10_000) }
        let firedAt = Self.monotonicMicroseconds()
        counting.fire(now: firedAt)
        #expect(runs == 3)
        let again = counting.dueTimes
        #expect(again.count == 3, "\(again)")
        #expect(
            again.allSatisfy { $0 % grid == 0 && $0 > firedAt + WorkerTimers.coalescedInterval },
            "\(again)"
        )
        for timer in counted { timer.cancel() }
    }

    /// A worker's loop: jobs posted from other threads run on it in order, and a timer
    /// made on it fires at its time though nothing else wakes the worker.
    @Test func theLoopRunsJobsInOrderAndFiresTimers() {
        let worker = MediaWorker(name: "loop-test")
        defer { worker.shutdown() }
        let order = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<250 {
                worker.execute {
                    precondition(worker.isCurrentThread)
                    order.withLock { $0.append(thread * 1_000 + index) }
                }
            }
        }
        _ = worker.sync { true }
        let ran = order.withLock { $0 }
        #expect(ran.count == 1_000)
        for thread in 0..<4 {
            let mine = ran.filter { $0 / 1_000 == thread }
            #expect(mine == mine.sorted(), "thread \(thread)'s jobs out of order")
        }
        let fired = DispatchSemaphore(value: 0)
        let start = ContinuousClock.now
        worker.execute {
            var count = 0
            _ = WorkerTimer(on: worker, every: .milliseconds(15)) {
                count += 1
                guard count == 3 else { return true }
                fired.signal()
                return false
            }
        }
        #expect(fired.wait(timeout: .now() + 5) == .success)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(45) && elapsed < .seconds(2), "\(elapsed)")
    }

    /// What a GLib source on a peer's context counts: its runs, and until when it asks to
    /// run again at once.
    final class ImmediateSource: @unchecked Sendable {
        let until: Int
        var runs = 0
        init(until: Int) { self.until = until }
    }

    /// A source that asks to run again at once until its time comes (libnice's timers,
    /// counting whole milliseconds, re-arm at 0 ms while their time is under a
    /// millisecond away) runs about once a millisecond from its second ask on, not in a
    /// spin of the worker's loop.
    @Test func aContextAskingToRunAgainAtOnceWaitsAMillisecond() {
        let worker = MediaWorker(name: "immediate-test")
        defer { worker.shutdown() }
        let state = ImmediateSource(until: Self.monotonicMicroseconds() + 5_000)
        let box = Unmanaged.passRetained(state).toOpaque()
        defer { Unmanaged<ImmediateSource>.fromOpaque(box).release() }
        let address = UInt(bitPattern: box)
        _ = worker.sync {
            let context = worker.mux.makeContext()
            let source = g_timeout_source_new(0)
            g_source_set_callback(
                source,
                { data in
                    let state = Unmanaged<ImmediateSource>.fromOpaque(data!).takeUnretainedValue()
                    state.runs += 1
                    return WorkerTimerTests.monotonicMicroseconds() < state.until ? 1 : 0
                },
                UnsafeMutableRawPointer(bitPattern: address),
                nil
            )
            g_source_attach(source, context.context)
            g_source_unref(source)
            worker.mux.refresh(context)
            return true
        }
        usleep(30_000)
        let runs = worker.sync { state.runs }
        // 5 ms: once at once, then about once a millisecond (a spin ran it thousands of
        // times).
        #expect(runs >= 3 && runs <= 15, "\(runs) runs")
    }

    /// A quiet worker (no media, no fast timer: it takes datagrams on a grid of 50 ms)
    /// still runs a job as soon as it is posted.
    @Test func aQuietWorkerRunsAJobAtOnce() {
        let worker = MediaWorker(name: "quiet-test")
        defer { worker.shutdown() }
        var slowest = 0
        for _ in 0..<5 {
            usleep(60_000)
            let posted = Self.monotonicMicroseconds()
            let ran = worker.sync { WorkerTimerTests.monotonicMicroseconds() }
            slowest = max(slowest, ran - posted)
        }
        #expect(slowest < 25_000, "a job waited \(slowest) us")
    }
}
