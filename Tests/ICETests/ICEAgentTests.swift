import Foundation
import ICE
import Synchronization
import Testing

/// Two agents on two media workers, connected over 127.0.0.1.
final class AgentPair: @unchecked Sendable {
    let controllingWorker = MediaWorker(name: "ice-a")
    let controlledWorker = MediaWorker(name: "ice-b")
    var controlling: ICEAgent!
    var controlled: ICEAgent!
    let received = Atomic<Int>(0)
    let lastIndex = Atomic<Int>(-1)

    init() throws {
        try self.controllingWorker.sync {
            Result {
                self.controlling = try ICEAgent(
                    worker: self.controllingWorker,
                    configuration: .init(isControlling: true)
                )
            }
        }.get()
        try self.controlledWorker.sync {
            Result {
                self.controlled = try ICEAgent(
                    worker: self.controlledWorker,
                    configuration: .init(isControlling: false)
                )
            }
        }.get()
        let a = self.controllingWorker.sync { self.controlling.localCredentials }
        let b = self.controlledWorker.sync { self.controlled.localCredentials }
        try self.controllingWorker.sync {
            Result { try self.controlling.setRemoteCredentials(ufrag: b.ufrag, pwd: b.pwd) }
        }.get()
        try self.controlledWorker.sync {
            Result { try self.controlled.setRemoteCredentials(ufrag: a.ufrag, pwd: a.pwd) }
        }.get()
        self.controlledWorker.sync {
            self.controlled.onReceive = { bytes in
                self.received.add(1, ordering: .relaxed)
                if bytes.count >= 4 {
                    let index = Int(bytes.loadUnaligned(as: UInt32.self))
                    self.lastIndex.store(index, ordering: .relaxed)
                }
            }
        }
    }

    /// Trickles each side's candidates to the other as they are gathered.
    func connect() throws {
        self.controllingWorker.sync {
            self.controlling.onLocalCandidate = { candidate in
                self.controlledWorker.execute { try? self.controlled.addRemoteCandidate(candidate) }
            }
        }
        self.controlledWorker.sync {
            self.controlled.onLocalCandidate = { candidate in
                self.controllingWorker.execute { try? self.controlling.addRemoteCandidate(candidate) }
            }
        }
        try self.controllingWorker.sync { Result { try self.controlling.gatherCandidates() } }.get()
        try self.controlledWorker.sync { Result { try self.controlled.gatherCandidates() } }.get()
    }

    func waitUntilReady(limit: Duration = .seconds(10)) -> Bool {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            let a = self.controllingWorker.sync { self.controlling.state }
            let b = self.controlledWorker.sync { self.controlled.state }
            if a == .ready && b == .ready { return true }
            if a == .failed || b == .failed { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    func close() {
        self.controllingWorker.sync { self.controlling.close() }
        self.controlledWorker.sync { self.controlled.close() }
        self.controllingWorker.shutdown()
        self.controlledWorker.shutdown()
    }
}

@Suite(.serialized) struct ICEAgentTests {
    @Test func workerRunsJobsInOrderOnItsThread() {
        let worker = MediaWorker(name: "order")
        let order = Mutex<[Int]>([])
        for index in 0..<100 {
            worker.execute {
                precondition(worker.isCurrentThread)
                order.withLock { $0.append(index) }
            }
        }
        #expect(worker.sync { worker.isCurrentThread })
        #expect(!worker.isCurrentThread)
        #expect(order.withLock { $0 } == Array(0..<100))
        worker.shutdown()
    }

    @Test func twoAgentsConnectOverLoopbackAndDeliverTenThousandDatagrams() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady(), "agents did not reach ready")
        let sent = pair.controllingWorker.sync {
            var payload = [UInt8](repeating: 0x42, count: 1200)
            var sent = 0
            for index in 0..<10_000 {
                withUnsafeBytes(of: UInt32(index)) { payload.replaceSubrange(0..<4, with: $0) }
                if payload.withUnsafeBytes({ pair.controlling.send($0) }) { sent += 1 }
                if index % 200 == 199 { usleep(1000) }  // bounded pacing; the receiver runs on its own worker
            }
            return sent
        }
        #expect(sent == 10_000)
        let clock = ContinuousClock()
        let start = clock.now
        while pair.received.load(ordering: .relaxed) < 10_000, clock.now - start < .seconds(5) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(pair.received.load(ordering: .relaxed) == 10_000)
        #expect(pair.lastIndex.load(ordering: .relaxed) == 9_999)
    }

    @Test func malformedRemoteCandidatesAreErrorsNotCrashes() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        for candidate in [
            "", "candidate:", "candidate:1 1 udp", "candidate:x y z w v u typ host", "garbage\u{0}",
            String(repeating: "a", count: 5000),
        ] {
            let result = pair.controlledWorker.sync { Result { try pair.controlled.addRemoteCandidate(candidate) } }
            #expect(throws: ICEError.self) { try result.get() }
        }
        let valid = pair.controlledWorker.sync {
            Result { try pair.controlled.addRemoteCandidate("candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host") }
        }
        #expect(throws: Never.self) { try valid.get() }
    }
}
