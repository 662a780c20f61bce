import Foundation
import Synchronization

/// One OS thread running one loop: the thread a room, its libnice agents, DTLS and SRTP
/// state live on (DESIGN.md "Threads"). Work is posted from any thread with
/// `execute(_:)`; an actor whose executor is the worker runs on it.
///
/// The loop is the worker's own, not GLib's (docs/decisions.md, "A worker runs its own
/// loop"): each round waits in `epoll_wait` on the `ContextMux`'s set (its peers' sockets
/// and contexts, the job queue) until something is ready or the next deadline, handles
/// what is, then flushes the burst's batched sends.
public final class MediaWorker: @unchecked Sendable {
    public let name: String
    private let threadID = Mutex<pthread_t?>(nil)
    private let stopped = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    /// What waits for the end of the current receive burst (worker thread only): drained
    /// at the end of each round of the loop, just before the worker waits again, where
    /// batched sends go out.
    public let bursts = BurstQueue()
    private let jobs = JobQueue()
    /// Set by the job `shutdown()` posts (worker thread only).
    private var isStopping = false
    /// Iterates the peers' own contexts and the worker's timers (worker thread only).
    let mux: ContextMux

    /// Starts the worker's thread; it runs until `shutdown()`.
    public init(name: String) {
        self.name = name
        self.mux = ContextMux(jobs: self.jobs)
        let box = UncheckedBox(self)
        let thread = Thread {
            let worker = box.value
            Thread.current.name = worker.name
            worker.threadID.withLock { $0 = pthread_self() }
            worker.started.signal()
            worker.run()
            worker.threadID.withLock { $0 = nil }
            worker.stopped.signal()
        }
        thread.start()
        self.started.wait()
    }

    private func run() {
        while !self.isStopping {
            self.mux.turn()
            self.bursts.flush()
        }
    }

    /// Whether the caller runs on this worker's thread.
    public var isCurrentThread: Bool {
        self.threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `job` on the worker's thread, after whatever is already queued.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        self.jobs.post(job)
    }

    /// Runs `body` on the worker's thread and waits for its result (tests and set-up only:
    /// never from the worker itself).
    public func sync<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        precondition(!self.isCurrentThread, "sync(_:) from the worker's own thread would deadlock")
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        self.execute {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        // The job ran before `done` was signalled, so the value is there.
        guard let value = result.withLock({ $0.take() }) else { preconditionFailure("sync job did not run") }
        return value
    }

    /// Stops the loop after the queued work and waits for the thread to end.
    public func shutdown() {
        let worker = UncheckedBox(self)
        self.execute {
            worker.value.mux.close()
            worker.value.isStopping = true
        }
        self.stopped.wait()
    }
}

extension MediaWorker: SerialExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = UncheckedBox(self.asUnownedSerialExecutor())
        self.execute { job.runSynchronously(on: executor.value) }
    }

    public func checkIsolated() {
        precondition(self.isCurrentThread, "state of \(self.name) touched off its media worker")
    }
}

/// Carries a non-Sendable value across a thread boundary the code has checked by hand.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
