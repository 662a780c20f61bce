import Foundation

/// CPU time and resident memory of a process, read from `/proc`. CPU time is the sum of
/// its threads' `schedstat` run times (nanoseconds, unlike the 10 ms ticks of `stat`).
struct ProcessSample {
    var cpuNanoseconds: UInt64
    /// Of the threads named `media-…` (SwiftSFU's media workers), apart: the forwarding,
    /// without what other threads (signaling, the recorder) spend.
    var workerCPUNanoseconds: UInt64
    var residentBytes: Int
    var threads: Int

    /// `pid` is a number or "self"; `nil` when the process is gone.
    init?(pid: String) {
        let tasks = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return nil }
        var total: UInt64 = 0
        var workers: UInt64 = 0
        for thread in threads {
            guard let text = try? String(contentsOfFile: "\(tasks)/\(thread)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let nanoseconds = UInt64(first)
            else { continue }
            total += nanoseconds
            if let name = try? String(contentsOfFile: "\(tasks)/\(thread)/comm", encoding: .utf8),
                name.hasPrefix("media-")
            {
                workers += nanoseconds
            }
        }
        self.cpuNanoseconds = total
        self.workerCPUNanoseconds = workers
        self.threads = threads.count
        self.residentBytes = 0
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                let kibibytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                self.residentBytes = kibibytes * 1024
            }
        }
    }
}
