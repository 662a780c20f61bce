import CTestSupport
import Foundation

/// A network namespace of the test's own, holding only `lo` with 127.0.0.1 and
/// 127.0.0.2: interop traffic stays on loopback, and WebRTC stacks that gather on every
/// interface find nothing else. The thread that creates it moves into it (a namespace
/// belongs to a thread), so create it on the media worker whose agents must live there;
/// external peers join it with `nsenter`.
public struct PrivateNetwork: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `/proc/<pid>/task/<tid>/ns/net` of the thread that entered it.
    public let path: String

    /// Moves the calling thread into a new network namespace (needs root).
    public static func enterOnCurrentThread() throws -> PrivateNetwork {
        let status = cts_unshare_network()
        guard status == 0 else { throw Failure(description: "unshare(CLONE_NEWNET) failed: \(status) (needs root)") }
        return PrivateNetwork(path: "/proc/\(getpid())/task/\(cts_thread_id())/ns/net")
    }

    /// Brings `lo` up and adds 127.0.0.2 (aioice and aiortc skip 127.0.0.1).
    public func configureLoopback() throws {
        _ = try ExternalProcess.run(
            "/usr/bin/nsenter",
            ["--net=\(self.path)", "sh", "-c", "ip link set lo up && ip addr add 127.0.0.2/8 dev lo"]
        )
    }

    /// Starts `python3 scripts/<script> arguments…` inside the namespace.
    public func python(_ script: String, _ arguments: [String] = []) throws -> InteractiveProcess {
        let path = ExternalProcess.repositoryRoot.appendingPathComponent(script).path
        return try InteractiveProcess("/usr/bin/nsenter", ["--net=\(self.path)", "python3", path] + arguments)
    }
}
