import Foundation
import ICE
import Testing

/// Agents come and go with every peer: none may leave a thread, a descriptor or memory
/// behind.
@Suite(.serialized) struct ICELifecycleTests {
    struct Usage: CustomStringConvertible {
        var threads: Int
        var descriptors: Int
        var residentBytes: Int

        static func now() -> Usage {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
            let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? -1
            return Usage(
                threads: threads,
                descriptors: descriptors,
                residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE)))
            )
        }

        var description: String { "\(threads) threads, \(descriptors) fds, \(residentBytes >> 10) KiB resident" }
    }

    /// `rounds` × `concurrent` pairs: create, connect, send a little, close.
    static func cycle(rounds: Int, concurrent: Int, workers: (MediaWorker, MediaWorker)) throws -> Int {
        var connected = 0
        for _ in 0..<rounds {
            let pairs = try (0..<concurrent).map { _ in try AgentPair(workers: workers) }
            for pair in pairs { try pair.connect() }
            for pair in pairs where pair.waitUntilReady() {
                if pair.sendFromA(count: 10) == 10, pair.waitForB(toReceive: 10) { connected += 1 }
            }
            for pair in pairs { pair.close() }
        }
        return connected
    }

    @Test func aThousandCreateConnectDestroyCyclesLeaveNothingBehind() throws {
        let workers = (MediaWorker(name: "cycle-a"), MediaWorker(name: "cycle-b"))
        defer {
            workers.0.shutdown()
            workers.1.shutdown()
        }
        // Warm up: GLib and libnice allocate their caches and type system once.
        #expect(try Self.cycle(rounds: 10, concurrent: 10, workers: workers) == 100)
        let before = Usage.now()
        #expect(try Self.cycle(rounds: 50, concurrent: 10, workers: workers) == 500)
        let middle = Usage.now()
        #expect(try Self.cycle(rounds: 50, concurrent: 10, workers: workers) == 500)
        let after = Usage.now()
        print("agent cycles: before \(before); after 500 \(middle); after 1,000 \(after)")
        // Other suites run in parallel and open and close their own threads, sockets and
        // memory: the margins cover them. A thread or a descriptor per agent would show
        // as a thousand; a leaked agent costs tens of KiB, so a thousand, tens of MiB.
        // (scripts/test.sh also runs this suite alone.)
        #expect(after.threads <= before.threads + 10, "\(before) → \(after)")
        #expect(after.descriptors <= before.descriptors + 20, "\(before) → \(after)")
        #expect(after.residentBytes - middle.residentBytes < 4 << 20, "\(middle) → \(after)")
        #expect(after.residentBytes - before.residentBytes < 16 << 20, "\(before) → \(after)")
    }
}
