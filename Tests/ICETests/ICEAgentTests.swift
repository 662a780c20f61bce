import Foundation
import ICE
import Synchronization
import TestSupport
import Testing

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
        let states = Mutex<[ICEAgent.State]>([])
        try pair.onA { agent in agent.onStateChange = { state in states.withLock { $0.append(state) } } }
        try pair.connect()
        #expect(pair.waitUntilReady(), "agents did not reach ready")
        #expect(states.withLock { $0.first } == .gathering)
        #expect(states.withLock { $0.contains(.checking) && $0.last == .ready })
        let selected = try pair.onA { $0.selectedPair }
        #expect(selected?.isPlainUDP == true)
        #expect(selected?.local.hasPrefix("127.0.0.1:") == true)
        #expect(pair.sendFromA(count: 10_000) == 10_000)
        #expect(pair.waitForB(toReceive: 10_000))
        #expect(pair.receivedByB.load(ordering: .relaxed) == 10_000)
        #expect(pair.lastIndexAtB.load(ordering: .relaxed) == 9_999)
        #expect(try pair.onB { $0.receivedDatagrams } == 10_000)
    }

    @Test func candidatesTrickledLateAndBeforeCredentialsStillConnect() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        // Gather first and hold every candidate; nobody knows the other's credentials.
        let heldForA = Mutex<[String]>([])
        let heldForB = Mutex<[String]>([])
        try pair.onA { agent in agent.onLocalCandidate = { candidate in heldForB.withLock { $0.append(candidate) } } }
        try pair.onB { agent in agent.onLocalCandidate = { candidate in heldForA.withLock { $0.append(candidate) } } }
        try pair.gather()
        #expect(
            Polling.until(limit: .seconds(5)) {
                try! pair.onA { $0.isGatheringDone } && (try! pair.onB { $0.isGatheringDone })
            }
        )
        Thread.sleep(forTimeInterval: 0.3)
        // Candidates arrive before the remote description: they are kept until it does.
        let forA = heldForA.withLock { $0 }
        let forB = heldForB.withLock { $0 }
        #expect(!forA.isEmpty && !forB.isEmpty)
        try pair.onA { agent in for candidate in forA { try agent.addRemoteCandidate(candidate) } }
        try pair.onB { agent in for candidate in forB { try agent.addRemoteCandidate(candidate) } }
        try pair.onA { $0.remoteGatheringDone() }
        try pair.onB { $0.remoteGatheringDone() }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try pair.onA { $0.state } != .ready)
        try pair.exchangeCredentials()
        #expect(pair.waitUntilReady(), "late trickle did not connect")
        #expect(pair.sendFromA(count: 1_000) == 1_000)
        #expect(pair.waitForB(toReceive: 1_000))
    }

    @Test func restartWithNewCredentialsKeepsMediaFlowing() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())
        #expect(pair.sendFromA(count: 1_000) == 1_000)
        #expect(pair.waitForB(toReceive: 1_000))
        let before = try pair.onA { $0.localCredentials }

        // The controlling side restarts; the controlled side detects it from the new
        // credentials and restarts too (RFC 8445 §9). Both signal everything again.
        try pair.onA { try $0.restart() }
        try pair.onB { try $0.restart() }
        let after = try pair.onA { $0.localCredentials }
        #expect(after.ufrag != before.ufrag && after.pwd != before.pwd)
        // Media keeps flowing on the old pair while the new credentials travel.
        #expect(pair.sendFromA(count: 500, first: 1_000) == 500)
        #expect(try pair.reconnectAfterRestart(), "no pair selected with the new credentials")
        #expect(pair.waitUntilReady())
        #expect(pair.sendFromA(count: 1_000, first: 1_500) == 1_000)
        #expect(pair.waitForB(toReceive: 2_500))
        #expect(pair.lastIndexAtB.load(ordering: .relaxed) == 2_499)
    }

    /// Silent for `silenceBeforeRestart`: reported once (an ICE restart may find another
    /// path); silent for `silenceTimeout`: failed.
    @Test func aPeerThatGoesSilentIsReportedThenDeclaredFailed() throws {
        let timeout = Duration.seconds(1)
        let pair = try AgentPair(
            a: .init(isControlling: true, silenceTimeout: timeout, silenceBeforeRestart: .milliseconds(400))
        )
        defer { pair.close() }
        let failedAt = Mutex<ContinuousClock.Instant?>(nil)
        let silentAt = Mutex<[ContinuousClock.Instant]>([])
        try pair.onA { agent in
            agent.onStateChange = { state in if state == .failed { failedAt.withLock { $0 = .now } } }
            agent.onSilence = { silentAt.withLock { $0.append(.now) } }
        }
        try pair.connect()
        #expect(pair.waitUntilReady())
        // While `b` talks (as a WebRTC peer's RTCP does), `a` stays up past the timeout.
        let clock = ContinuousClock()
        let talkUntil = clock.now + .seconds(2)
        while clock.now < talkUntil {
            _ = try pair.onB { agent in [UInt8](repeating: 1, count: 100).withUnsafeBytes { agent.send($0) } }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(try pair.onA { $0.state } == .ready)
        #expect(silentAt.withLock { $0.isEmpty })
        // Then `b` goes silent: its worker stops answering anything.
        let silentSince = clock.now
        pair.workerB.execute { Thread.sleep(forTimeInterval: 3) }
        #expect(Polling.until(limit: .seconds(3)) { failedAt.withLock { $0 } != nil })
        // `b` last spoke up to 100 ms before `silentSince`; the watchdog looks every
        // quarter of the timeout.
        let detection = failedAt.withLock { $0 }.map { $0 - silentSince }
        #expect(
            detection.map { $0 >= timeout - .milliseconds(150) && $0 < timeout * 2 } == true,
            "failed after \(String(describing: detection))"
        )
        let reported = silentAt.withLock { $0 }.map { $0 - silentSince }
        #expect(reported.count == 1, "reported silent \(reported.count) times")
        #expect(reported.first.map { $0 >= .milliseconds(250) && $0 < .milliseconds(800) } == true, "\(reported)")
    }

    /// Two agents that claim the same role still connect (RFC 8445 §7.3.1.1: a 487 answer
    /// and the tie-breakers resolve the conflict), as a peer that gets its role wrong
    /// expects of the server.
    @Test(arguments: [true, false])
    func agentsThatClaimTheSameRoleResolveTheConflict(controlling: Bool) throws {
        let pair = try AgentPair(a: .init(isControlling: controlling), b: .init(isControlling: controlling))
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady(), "the role conflict was not resolved")
        #expect(pair.sendFromA(count: 100) == 100)
        #expect(pair.waitForB(toReceive: 100))
    }

    /// A browser that hides its addresses behind mDNS names (RFC 8828) still connects:
    /// the names are passed over (counted), and its checks reveal its address as a
    /// peer-reflexive candidate, whichever side controls.
    @Test(arguments: [true, false])
    func aPeerWhoseCandidatesAreMulticastDNSNamesConnects(hiddenSideControls: Bool) throws {
        let pair = try AgentPair(
            a: .init(isControlling: hiddenSideControls),
            b: .init(isControlling: !hiddenSideControls)
        )
        defer { pair.close() }
        let refused = Atomic<Int>(0)
        try pair.exchangeCredentials()
        try pair.onA { agent in
            agent.onLocalCandidate = { candidate in
                var fields = candidate.split(separator: " ").map(String.init)
                fields[4] = "\(UUID().uuidString.lowercased()).local"
                let hidden = fields.joined(separator: " ")
                pair.workerB.execute {
                    if (try? pair.b.addRemoteCandidate(hidden)) == nil { refused.add(1, ordering: .relaxed) }
                }
            }
            agent.onGatheringDone = { pair.workerB.execute { pair.b.remoteGatheringDone() } }
        }
        try pair.onB { agent in
            agent.onLocalCandidate = { candidate in pair.workerA.execute { try? pair.a.addRemoteCandidate(candidate) } }
            agent.onGatheringDone = { pair.workerA.execute { pair.a.remoteGatheringDone() } }
        }
        try pair.gather()
        #expect(pair.waitUntilReady(), "no pair was found through the hidden side's checks")
        #expect(try pair.onB { $0.passedOverCandidates } >= 1)
        #expect(refused.load(ordering: .relaxed) == 0)
        #expect(pair.sendFromA(count: 100) == 100)
        #expect(pair.waitForB(toReceive: 100))
    }

    @Test func malformedInputIsAnErrorNotACrash() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        for candidate in [
            "", "candidate:", "candidate:1 1 udp", "candidate:x y z w v u typ host", "garbage\u{0}",
            String(repeating: "a", count: 5000), "candidate:1 1 UDP 2130706431 not-an-ip 40000 typ host",
            "candidate:1 1 UDP 2130706431 127.0.0.1 99999999 typ host",
        ] {
            #expect(throws: ICEError.self) { try pair.onB { try $0.addRemoteCandidate(candidate) } }
        }
        #expect(throws: Never.self) {
            try pair.onB { try $0.addRemoteCandidate("candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host") }
        }
        // A candidate of RTCP's own component (Firefox gathers them), a TCP one for an
        // agent without ICE-TCP (browsers and GStreamer trickle `tcptype active` ones on
        // port 9) and a repeated one are skipped, not errors.
        let before = try pair.onB { $0.passedOverCandidates }
        for candidate in [
            "candidate:0 2 UDP 2122187006 127.0.0.1 57649 typ host",
            "candidate:2 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active",
            "candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host",
        ] {
            #expect(throws: Never.self) { try pair.onB { try $0.addRemoteCandidate(candidate) } }
        }
        #expect(try pair.onB { $0.passedOverCandidates } - before >= 2)
        #expect(throws: ICEError.invalidCredentials) {
            try pair.onB { try $0.setRemoteCredentials(ufrag: "", pwd: "x") }
        }
        #expect(throws: ICEError.invalidAddress("example.org")) {
            try pair.workerA.sync {
                Result { () throws(ICEError) in
                    let agent = try ICEAgent(
                        worker: pair.workerA,
                        configuration: .init(stunServer: .init(address: "example.org", port: 3478))
                    )
                    agent.close()
                }
            }.get()
        }
        try pair.onB { $0.close() }
        #expect(throws: ICEError.closed) {
            try pair.onB { try $0.addRemoteCandidate("candidate:1 1 UDP 1 127.0.0.1 1 typ host") }
        }
    }

    @Test func hostCandidatesAdvertiseThePublicAddressOfAOneToOneNAT() throws {
        let worker = MediaWorker(name: "nat")
        defer { worker.shutdown() }
        for keepsPrivate in [false, true] {
            let candidates = try worker.sync {
                Result { () throws(ICEError) -> [String] in
                    let agent = try ICEAgent(
                        worker: worker,
                        configuration: .init(
                            advertisedAddress: "203.0.113.7",
                            keepsPrivateHostCandidates: keepsPrivate
                        )
                    )
                    defer { agent.close() }
                    try agent.gatherCandidates()
                    return agent.localCandidates
                }
            }.get()
            let public_ = candidates.filter { $0.contains(" 203.0.113.7 ") && $0.hasSuffix("typ host") }
            let private_ = candidates.filter { $0.contains(" 127.0.0.1 ") }
            #expect(public_.count == 1, "\(candidates)")
            #expect(private_.count == (keepsPrivate ? 1 : 0), "\(candidates)")
            // Same port on both forms: the NAT maps it one to one.
            if keepsPrivate, let p = public_.first, let q = private_.first {
                #expect(p.split(separator: " ")[5] == q.split(separator: " ")[5])
            }
        }
    }
}
