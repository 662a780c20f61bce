public import Foundation

/// Runs a program nobody here wrote (aiortc, a browser) and collects its output.
public enum ExternalProcess {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The repository's root folder, for scripts under `scripts/`.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `executable` with `arguments`, writes `input` to its standard input and
    /// returns its standard output; throws with its standard error (and the end of its
    /// standard output) when it fails.
    public static func run(_ executable: String, _ arguments: [String], input: String = "") throws -> String {
        let (process, stdin, stdout, stderr) = Self.piped(executable, arguments)
        try process.run()
        // NOTE: read both pipes while writing, so a large output cannot block the child.
        let output = Output()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            output.stdout = stdout.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            output.stderr = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // The end of standard output too: scripts print their report there, and the
            // reason of a report's `failure`, which a long report's end leaves out.
            let report = try? JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any]
            let reason = (report?["failure"] as? String).map { "\nfailure: " + $0.prefix(2000) } ?? ""
            throw Failure(
                description: "\(executable) exited \(process.terminationStatus): "
                    + String(decoding: output.stderr, as: UTF8.self) + reason
                    + "\nstandard output ends: " + String(decoding: output.stdout.suffix(4000), as: UTF8.self)
            )
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    /// Runs a script of `scripts/` with python3 inside a new network namespace that has
    /// only `lo`: WebRTC stacks gather candidates on every interface they see.
    public static func pythonInPrivateNetwork(
        script: String,
        arguments: [String] = [],
        input: String = ""
    ) throws
        -> String
    {
        let path = Self.repositoryRoot.appendingPathComponent(script).path
        return try Self.run(
            "/usr/bin/unshare",
            ["--net", "sh", "-c", "ip link set lo up; exec python3 \"$@\"", "sh", path] + arguments,
            input: input
        )
    }

    /// A process with its three standard streams on pipes, not started.
    static func piped(_ executable: String, _ arguments: [String]) -> (Process, stdin: Pipe, stdout: Pipe, stderr: Pipe)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipes = (Pipe(), Pipe(), Pipe())
        process.standardInput = pipes.0
        process.standardOutput = pipes.1
        process.standardError = pipes.2
        return (process, pipes.0, pipes.1, pipes.2)
    }

    private final class Output: @unchecked Sendable {
        var stdout = Data()
        var stderr = Data()
    }
}
