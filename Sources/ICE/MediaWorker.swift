internal import CNice
import Foundation
import Synchronization

/// One OS thread iterating one GLib main context: the thread a room, its libnice agents,
/// DTLS and SRTP state live on (DESIGN.md "Threads"). Work is posted from any thread
/// with `execute(_:)`; an actor whose executor is the worker runs on it.
public final class MediaWorker: @unchecked Sendable {
    public let name: String
    let context: OpaquePointer  // GMainContext
    let loop: OpaquePointer  // GMainLoop
    private let threadID = Mutex<pthread_t?>(nil)
    private let stopped = DispatchSemaphore(value: 0)
    private let started = DispatchSemaphore(value: 0)
    /// What waits for the end of the current receive burst (worker thread only): drained
    /// from the loop's prepare hook, just before the worker waits again, where batched
    /// sends go out.
    public let bursts = BurstQueue()
    private var prepareSource: OpaquePointer?  // GSource
    /// Iterates the peers' own contexts (worker thread only).
    let mux: ContextMux

    /// Starts the worker's thread; it runs until `shutdown()`.
    public init(name: String) {
        self.name = name
        self.context = g_main_context_new()
        self.loop = g_main_loop_new(self.context, 0)
        self.mux = ContextMux(worker: self.context)
        self.prepareSource = OpaquePointer(
            cnice_add_prepare_hook(
                self.context,
                { data in Unmanaged<MediaWorker>.fromOpaque(data!).takeUnretainedValue().bursts.flush() },
                Unmanaged.passUnretained(self).toOpaque()
            )
        )
        let box = UncheckedBox(self)
        let thread = Thread {
            let worker = box.value
            Thread.current.name = worker.name
            worker.threadID.withLock { $0 = pthread_self() }
            g_main_context_push_thread_default(worker.context)
            worker.started.signal()
            g_main_loop_run(worker.loop)
            g_main_context_pop_thread_default(worker.context)
            worker.threadID.withLock { $0 = nil }
            worker.stopped.signal()
        }
        thread.start()
        self.started.wait()
    }

    deinit {
        if let source = self.prepareSource {
            g_source_destroy(UnsafeMutablePointer(source))
            g_source_unref(UnsafeMutablePointer(source))
        }
        g_main_loop_unref(self.loop)
        g_main_context_unref(self.context)
    }

    /// Whether the caller runs on this worker's thread.
    public var isCurrentThread: Bool {
        self.threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `job` on the worker's thread, after whatever is already queued.
    public func execute(_ job: @escaping @Sendable () -> Void) {
        let source = g_idle_source_new()
        // At the peers' priority, not idle: a worker busy forwarding always has a peer
        // ready, and idle jobs (joins, answers, candidates) would wait until it had none.
        g_source_set_priority(source, G_PRIORITY_DEFAULT)
        let box = Unmanaged.passRetained(JobBox(job)).toOpaque()
        g_source_set_callback(
            source,
            { data in
                guard let data else { return 0 }
                Unmanaged<JobBox>.fromOpaque(data).takeUnretainedValue().body()
                return 0  // G_SOURCE_REMOVE
            },
            box,
            { data in
                guard let data else { return }
                Unmanaged<JobBox>.fromOpaque(data).release()
            }
        )
        g_source_attach(source, self.context)
        g_source_unref(source)
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
        let loop = UncheckedBox(self.loop)
        let mux = UncheckedBox(self.mux)
        self.execute {
            mux.value.close()
            g_main_loop_quit(loop.value)
        }
        self.stopped.wait()
    }

    final class JobBox {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
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
