import Benchmark
import Foundation
import Glibc
import ICE

/// Sending 1,200-byte datagrams on a connected pair over 127.0.0.1, four ways: libnice's
/// `nice_agent_send`, one `sendto` per datagram on the selected socket, `sendmmsg`
/// (64 per call) and UDP GSO (48 per call). One iteration sends `datagramsPerIteration`
/// datagrams from the sending agent's worker thread (one core); the receiving agent
/// runs on another worker. On loopback the kernel's receive path runs inside the send
/// call, so these costs include it.
let datagramsPerIteration = 960
let datagramSize = 1200

final class ConnectedPair: @unchecked Sendable {
    let sender = MediaWorker(name: "bench-send")
    let receiver = MediaWorker(name: "bench-receive")
    var a: ICEAgent!
    var b: ICEAgent!
    var payload = [UInt8](repeating: 0x5A, count: datagramSize * datagramsPerIteration)

    init() throws {
        try self.sender.sync {
            Result { self.a = try ICEAgent(worker: self.sender, configuration: .init(isControlling: true)) }
        }.get()
        try self.receiver.sync { Result { self.b = try ICEAgent(worker: self.receiver, configuration: .init()) } }.get()
        let credentialsA = self.sender.sync { self.a.localCredentials }
        let credentialsB = self.receiver.sync { self.b.localCredentials }
        try self.sender.sync {
            Result { try self.a.setRemoteCredentials(ufrag: credentialsB.ufrag, pwd: credentialsB.pwd) }
        }.get()
        try self.receiver.sync {
            Result { try self.b.setRemoteCredentials(ufrag: credentialsA.ufrag, pwd: credentialsA.pwd) }
        }.get()
        self.sender.sync {
            self.a.onLocalCandidate = { candidate in self.receiver.execute { try? self.b.addRemoteCandidate(candidate) }
            }
        }
        self.receiver.sync {
            self.b.onLocalCandidate = { candidate in self.sender.execute { try? self.a.addRemoteCandidate(candidate) } }
            self.b.onReceive = { _ in }
        }
        try self.sender.sync { Result { try self.a.gatherCandidates() } }.get()
        try self.receiver.sync { Result { try self.b.gatherCandidates() } }.get()
        for _ in 0..<500 {
            if self.sender.sync({ self.a.state }) == .ready, self.receiver.sync({ self.b.state }) == .ready { return }
            usleep(10_000)
        }
        fatalError("ICE pair did not connect")
    }

    /// Measures `body` sending one iteration's datagrams from the sending agent's worker,
    /// then (unmeasured) waits for the receiver to drain and records the share of
    /// datagrams it got: a send that only feeds drops is not a fast send.
    func measure(_ benchmark: Benchmark, _ body: @escaping @Sendable (ICEAgent, UnsafeRawBufferPointer) -> Int) {
        let before = self.receiver.sync { self.b.receivedDatagrams }
        benchmark.startMeasurement()
        let sent = self.sender.sync { self.payload.withUnsafeBytes { body(self.a, $0) } }
        benchmark.stopMeasurement()
        var received = before
        for _ in 0..<100 {
            usleep(2_000)
            let now = self.receiver.sync { self.b.receivedDatagrams }
            if now == received, now > before { break }
            received = now
        }
        precondition(sent == datagramsPerIteration, "sent \(sent) of \(datagramsPerIteration)")
        benchmark.measurement(delivered, (received - before) * 100 / datagramsPerIteration)
    }
}

nonisolated(unsafe) var pair: ConnectedPair?
let delivered = BenchmarkMetric.custom("delivered (%)", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, delivered],
        scalingFactor: .one,
        maxDuration: .seconds(3),
        setup: { if pair == nil { pair = try ConnectedPair() } }
    )

    Benchmark("ICESendNiceAgent960x1200B", configuration: configuration) { benchmark in
        pair!.measure(benchmark) { agent, bytes in
            var sent = 0
            for index in 0..<datagramsPerIteration {
                let datagram = UnsafeRawBufferPointer(
                    rebasing: bytes[(index * datagramSize)..<((index + 1) * datagramSize)]
                )
                if agent.send(datagram) { sent += 1 }
            }
            return sent
        }
    }

    Benchmark("ICESendSendto960x1200B", configuration: configuration) { benchmark in
        pair!.measure(benchmark) { agent, bytes in
            guard let socket = agent.selectedSocket() else { return 0 }
            var sent = 0
            for index in 0..<datagramsPerIteration {
                let datagram = UnsafeRawBufferPointer(
                    rebasing: bytes[(index * datagramSize)..<((index + 1) * datagramSize)]
                )
                if socket.send(datagram) { sent += 1 }
            }
            return sent
        }
    }

    Benchmark("ICESendSendmmsg960x1200B", configuration: configuration) { benchmark in
        pair!.measure(benchmark) { agent, bytes in
            guard let socket = agent.selectedSocket(), let base = bytes.baseAddress else { return 0 }
            var vectors = (0..<datagramsPerIteration).map { index in
                iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: base + index * datagramSize),
                    iov_len: datagramSize
                )
            }
            return vectors.withUnsafeMutableBufferPointer { socket.send(batch: UnsafeBufferPointer($0)) }
        }
    }

    Benchmark("ICESendGSO960x1200B", configuration: configuration) { benchmark in
        pair!.measure(benchmark) { agent, bytes in
            guard let socket = agent.selectedSocket() else { return 0 }
            let perCall = 48
            var sent = 0
            for call in 0..<(datagramsPerIteration / perCall) {
                let range = (call * perCall * datagramSize)..<((call + 1) * perCall * datagramSize)
                if socket.send(segments: UnsafeRawBufferPointer(rebasing: bytes[range]), segmentSize: datagramSize) {
                    sent += perCall
                }
            }
            return sent
        }
    }
}
