import Foundation
import ICE
import Synchronization
import TestSupport

/// Two agents, `a` (controlling) and `b` (controlled), each on its own media worker,
/// connected over 127.0.0.1 by trickling candidates between them in process.
final class AgentPair: @unchecked Sendable {
    let workerA: MediaWorker
    let workerB: MediaWorker
    let ownsWorkers: Bool
    var a: ICEAgent!
    var b: ICEAgent!
    /// Datagrams `b` received, and the index in the first 4 bytes of the last one.
    let receivedByB = Atomic<Int>(0)
    let lastIndexAtB = Atomic<Int>(-1)
    let receivedByA = Atomic<Int>(0)
    let selectedPairChangesAtA = Atomic<Int>(0)

    init(
        a configurationA: ICEAgent.Configuration = .init(isControlling: true),
        b configurationB: ICEAgent.Configuration = .init(isControlling: false),
        workers: (MediaWorker, MediaWorker)? = nil
    ) throws {
        self.ownsWorkers = workers == nil
        self.workerA = workers?.0 ?? MediaWorker(name: "ice-a")
        self.workerB = workers?.1 ?? MediaWorker(name: "ice-b")
        try self.workerA.sync { Result { self.a = try ICEAgent(worker: self.workerA, configuration: configurationA) } }
            .get()
        try self.workerB.sync { Result { self.b = try ICEAgent(worker: self.workerB, configuration: configurationB) } }
            .get()
        self.workerB.sync {
            self.b.onReceive = { bytes in
                self.receivedByB.add(1, ordering: .relaxed)
                if bytes.count >= 4 {
                    self.lastIndexAtB.store(Int(bytes.loadUnaligned(as: UInt32.self)), ordering: .relaxed)
                }
            }
        }
        self.workerA.sync {
            self.a.onReceive = { _ in self.receivedByA.add(1, ordering: .relaxed) }
            self.a.onSelectedPairChange = { _ in self.selectedPairChangesAtA.add(1, ordering: .relaxed) }
        }
    }

    func onA<T: Sendable>(_ body: @escaping @Sendable (ICEAgent) throws -> T) throws -> T {
        try self.workerA.sync { Result { try body(self.a) } }.get()
    }

    func onB<T: Sendable>(_ body: @escaping @Sendable (ICEAgent) throws -> T) throws -> T {
        try self.workerB.sync { Result { try body(self.b) } }.get()
    }

    func exchangeCredentials() throws {
        let credentialsA = try self.onA { $0.localCredentials }
        let credentialsB = try self.onB { $0.localCredentials }
        try self.onA { try $0.setRemoteCredentials(ufrag: credentialsB.ufrag, pwd: credentialsB.pwd) }
        try self.onB { try $0.setRemoteCredentials(ufrag: credentialsA.ufrag, pwd: credentialsA.pwd) }
    }

    /// Trickles each side's candidates that pass `filter` to the other as they are
    /// gathered, and end-of-candidates after them.
    func trickle(filter: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.workerA.sync {
            self.a.onLocalCandidate = { candidate in
                guard filter(candidate) else { return }
                self.workerB.execute { try? self.b.addRemoteCandidate(candidate) }
            }
            self.a.onGatheringDone = { self.workerB.execute { self.b.remoteGatheringDone() } }
        }
        self.workerB.sync {
            self.b.onLocalCandidate = { candidate in
                guard filter(candidate) else { return }
                self.workerA.execute { try? self.a.addRemoteCandidate(candidate) }
            }
            self.b.onGatheringDone = { self.workerA.execute { self.a.remoteGatheringDone() } }
        }
    }

    func gather() throws {
        try self.onA { try $0.gatherCandidates() }
        try self.onB { try $0.gatherCandidates() }
    }

    /// Credentials first, then candidates trickled as they come: the usual order.
    func connect() throws {
        try self.exchangeCredentials()
        self.trickle()
        try self.gather()
    }

    /// After both agents restarted (`restart()`), the other half of an ICE restart: the
    /// new credentials and candidates each way; true once `a` selected a new pair.
    func reconnectAfterRestart() throws -> Bool {
        let pairChanges = self.selectedPairChangesAtA.load(ordering: .relaxed)
        try self.exchangeCredentials()
        let candidatesA = try self.onA { $0.localCandidates }
        let candidatesB = try self.onB { $0.localCandidates }
        guard !candidatesA.isEmpty, !candidatesB.isEmpty else { return false }
        try self.onA { agent in for candidate in candidatesB { try agent.addRemoteCandidate(candidate) } }
        try self.onB { agent in for candidate in candidatesA { try agent.addRemoteCandidate(candidate) } }
        return Polling.until(limit: .seconds(10)) { self.selectedPairChangesAtA.load(ordering: .relaxed) > pairChanges }
    }

    func waitUntilReady(limit: Duration = .seconds(10)) -> Bool {
        Polling.until(limit: limit) {
            let a = self.workerA.sync { self.a.state }
            let b = self.workerB.sync { self.b.state }
            if a == .failed || b == .failed { return true }
            return a == .ready && b == .ready
        } && self.workerA.sync { self.a.state } == .ready && self.workerB.sync { self.b.state } == .ready
    }

    /// Sends `count` datagrams of `size` bytes from `a`, each numbered in its first 4
    /// bytes from `first`, pausing briefly every 200 so the receiver's worker keeps up.
    func sendFromA(count: Int, first: Int = 0, size: Int = 1200) -> Int {
        self.workerA.sync {
            var payload = [UInt8](repeating: 0x42, count: size)
            var sent = 0
            for index in first..<(first + count) {
                withUnsafeBytes(of: UInt32(index)) { payload.replaceSubrange(0..<4, with: $0) }
                if payload.withUnsafeBytes({ self.a.send($0) }) { sent += 1 }
                if index % 200 == 199 { usleep(1000) }
            }
            return sent
        }
    }

    func waitForB(toReceive count: Int, limit: Duration = .seconds(5)) -> Bool {
        Polling.until(limit: limit) { self.receivedByB.load(ordering: .relaxed) >= count }
    }

    func close() {
        self.workerA.sync { self.a.close() }
        self.workerB.sync { self.b.close() }
        if self.ownsWorkers {
            self.workerA.shutdown()
            self.workerB.shutdown()
        }
    }

}
