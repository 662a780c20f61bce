import Glibc
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
        var wakes: [Int] = []
        timers.wake = { wakes.append($0) }
        let grid = WorkerTimers.coalescingGrid
        let before = Self.monotonicMicroseconds()
        let slow = (0..<5).map { _ in WorkerTimer(timers: timers, every: .seconds(1)) { true } }
        let fast = WorkerTimer(timers: timers, every: .milliseconds(20)) { true }
        let after = Self.monotonicMicroseconds()
        guard wakes.count == 6 else {
            Issue.record("\(wakes.count) wake-up times for 6 timers")
            return
        }
        for time in wakes.prefix(5) {
            #expect(time % grid == 0, "\(time)")
            #expect(time > before + 1_000_000 && time <= after + 1_000_000 + grid)
        }
        // Made within a few microseconds of each other, the five share one time.
        #expect(Set(wakes.prefix(5)).count <= 2)
        #expect(wakes[5] >= before + 20_000 && wakes[5] <= after + 20_000)

        // Fired when due (the fast one cancelled), each slow one runs once and comes
        // due again an interval on, on the grid again.
        fast.cancel()
        for timer in slow { timer.cancel() }
        wakes.removeAll()
        var runs = 0
        let counted = (0..<3).map { _ in
            WorkerTimer(timers: timers, every: .microseconds(WorkerTimers.coalescedInterval)) {
                runs += 1
                return true
            }
        }
        let due = wakes.max() ?? 0
        while Self.monotonicMicroseconds() < due { usleep(10_000) }
        wakes.removeAll()
        let firedAt = Self.monotonicMicroseconds()
        timers.fire(now: firedAt)
        #expect(runs == 3)
        #expect(wakes.count == 3, "\(wakes)")
        #expect(
            wakes.allSatisfy { $0 % grid == 0 && $0 > firedAt + WorkerTimers.coalescedInterval },
            "\(wakes)"
        )
        for timer in counted { timer.cancel() }
        #expect(!fast.isRunning && slow.allSatisfy { !$0.isRunning })
    }
}
