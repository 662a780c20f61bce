import Foundation

/// One core's busy time: the time since boot less what `/proc/stat` counts it idle,
/// waiting for I/O or stolen by the hypervisor. The idle time is measured on entering
/// and leaving idle (NO_HZ), not sampled at the tick, so the receive work an interrupt
/// does on an idle core counts as busy, and a task that wakes with the timer and sleeps
/// before the next tick is not missed (the tick-sampled user and system columns miss
/// it). For a server pinned alone to a core whose receive work the kernel steers there
/// (RPS), this is what the server costs, its packets' receive path included wherever it
/// ran; a process's own time misses the receive work done while it slept and, on
/// loopback, counts its peers' receive work done in its sends.
struct CoreSample {
    var busyNanoseconds: UInt64

    /// `nil` when `/proc/stat` has no such core.
    init?(core: Int) {
        let now = monotonicNanoseconds()
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        let name = Substring("cpu\(core)")
        guard let line = text.split(separator: "\n").first(where: { $0.split(separator: " ").first == name })
        else { return nil }
        // cpuN user nice system idle iowait irq softirq steal …, in clock ticks.
        let ticks = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard ticks.count >= 8 else { return nil }
        let hertz = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let away = (ticks[3] + ticks[4] + ticks[7]) * (1_000_000_000 / hertz)
        self.busyNanoseconds = now > away ? now - away : 0
    }
}
