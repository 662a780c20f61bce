import CMalloc
import Foundation

/// The server process's own CPU time, memory, descriptors and threads, from `/proc/self`,
/// and what the C allocator holds.
public struct ProcessUsage: Sendable {
    public var cpuSeconds: Double
    public var residentBytes: Int
    /// Bytes `malloc` has handed out and not had back: what a leak grows.
    public var heapInUseBytes: Int
    /// Bytes `malloc` holds free: memory given back to it after a peak, and the unused
    /// tops of its arenas, kept for later rather than returned to the system (resident
    /// memory does not fall after a peak).
    public var heapFreeBytes: Int
    public var openFileDescriptors: Int
    public var threads: Int

    /// Read now; `nil` where `/proc` is not there.
    public static func current() -> ProcessUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name, which may contain spaces: state is field 3.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 22, let utime = Double(fields[11]), let stime = Double(fields[12]),
            let threads = Int(fields[17]), let rssPages = Int(fields[21])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        // Over all of the allocator's arenas; it holds each arena's lock while it counts.
        let heap = mallinfo2()
        return ProcessUsage(
            cpuSeconds: (utime + stime) / ticks,
            residentBytes: rssPages * Int(sysconf(Int32(_SC_PAGESIZE))),
            heapInUseBytes: Int(heap.uordblks + heap.hblkhd),
            heapFreeBytes: Int(heap.fordblks),
            openFileDescriptors: descriptors,
            threads: threads
        )
    }
}
