import Foundation
import Synchronization

/// A program that talks back and forth on its standard input and output, one line at a
/// time, with a deadline on every read.
public final class InteractiveProcess: Sendable {
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    let process: Process
    let input: FileHandle
    let output = Output()

    final class Output: Sendable {
        let lines = Mutex<[String]>([])
        let errors = Mutex<Data>(Data())
        let partial = Mutex<Data>(Data())
    }

    public init(_ executable: String, _ arguments: [String]) throws {
        let (process, stdin, stdout, stderr) = ExternalProcess.piped(executable, arguments)
        self.process = process
        self.input = stdin.fileHandleForWriting
        stdout.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.partial.withLock { buffer in
                buffer.append(data)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    output.lines.withLock { $0.append(line) }
                }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        stderr.fileHandleForReading.readabilityHandler = { [output] handle in
            let data = handle.availableData
            output.errors.withLock { $0.append(data) }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        try process.run()
    }

    /// The next line of its output, waiting at most `limit`.
    public func readLine(limit: Duration = .seconds(10)) throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if let line = self.output.lines.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return line }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw Timeout(description: "no line within \(limit); stderr: \(self.standardError)")
    }

    public func writeLine(_ line: String) {
        self.input.write(Data((line + "\n").utf8))
    }

    public var standardError: String { String(decoding: self.output.errors.withLock { $0 }, as: UTF8.self) }

    /// Waits for it to exit (killing it after `limit`); returns its status.
    @discardableResult
    public func wait(limit: Duration = .seconds(10)) -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while self.process.isRunning, clock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        return self.process.terminationStatus
    }
}
