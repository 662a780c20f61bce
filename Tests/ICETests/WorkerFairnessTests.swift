import Foundation
import ICE
import Synchronization
import Testing

/// A peer whose datagrams cost more than the time between them (a publisher fanned out
/// to more subscribers than the core can serve, or one sending faster than it should)
/// must not hold its worker: the worker's timers and jobs, and with them every other
/// peer's consent checks, keep running.
@Suite(.serialized) struct WorkerFairnessTests {
    @Test func aPeerThatCannotBeKeptUpWithDoesNotStarveItsWorker() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())

        // b spends 1 ms on each datagram; a sends one every 0.5 ms for 1.5 s.
        let isExpensive = Atomic<Bool>(true)
        let handled = Atomic<Int>(0)
        pair.workerB.sync {
            pair.b.onReceive = { _ in
                handled.add(1, ordering: .relaxed)
                guard isExpensive.load(ordering: .relaxed) else { return }
                let end = ContinuousClock.now + .milliseconds(1)
                while ContinuousClock.now < end {}
            }
        }
        let ticks = Atomic<Int>(0)
        let timer = pair.workerB.sync {
            UncheckedTimer(
                WorkerTimer(on: pair.workerB, every: .milliseconds(20)) {
                    ticks.add(1, ordering: .relaxed)
                    return true
                }
            )
        }
        let sending = Duration.milliseconds(1_500)
        pair.workerA.execute {
            let end = ContinuousClock.now + sending
            var payload = [UInt8](repeating: 0x42, count: 200)
            payload[0] = 0x80  // not STUN
            while ContinuousClock.now < end {
                _ = payload.withUnsafeBytes { pair.a.send($0) }
                usleep(500)
            }
        }
        usleep(200_000)  // the backlog builds up
        let (ticksBefore, handledBefore) = (ticks.load(ordering: .relaxed), handled.load(ordering: .relaxed))
        usleep(1_000_000)
        let during = ticks.load(ordering: .relaxed) - ticksBefore
        let handledDuring = handled.load(ordering: .relaxed) - handledBefore
        isExpensive.store(false, ordering: .relaxed)
        pair.workerB.sync { timer.timer.cancel() }

        // 50 ticks are due in that second. Held in libnice's read loop, the worker ran
        // none of them; a turn of 32 datagrams takes ~32 ms, so about every other one runs.
        #expect(during >= 10, "the worker's 20 ms timer ran \(during) times in 1 s")
        // And the expensive peer still gets most of the worker.
        #expect(handledDuring >= 500, "b handled \(handledDuring) datagrams in 1 s")
    }
}

/// Moves a worker-confined timer to the test's thread and back, untouched in between.
struct UncheckedTimer: @unchecked Sendable {
    let timer: WorkerTimer
    init(_ timer: WorkerTimer) { self.timer = timer }
}
