import Foundation

/// The server process's own CPU time, memory, descriptors and threads, from `/proc/self`.
public struct ProcessUsage: Sendable {
    public var cpuSeconds: Double
    public var residentBytes: Int
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
        return ProcessUsage(
            cpuSeconds: (utime + stime) / ticks,
            residentBytes: rssPages * Int(sysconf(Int32(_SC_PAGESIZE))),
            openFileDescriptors: descriptors,
            threads: threads
        )
    }
}
