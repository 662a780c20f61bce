internal import CUDP
import Glibc
import Synchronization

/// Work posted to a media worker from any thread, run on the worker in the order it was
/// posted. The worker waits for it on `descriptor` (an eventfd in its epoll set), which is
/// written only when the queue goes from empty to not empty: a burst of posts costs one
/// write and one wake-up.
final class JobQueue: Sendable {
    typealias Job = @Sendable () -> Void

    private let jobs = Mutex<[Job]>([])
    /// Readable while jobs wait.
    let descriptor: Int32

    init() {
        self.descriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(self.descriptor >= 0, "eventfd: errno \(errno)")
    }

    deinit {
        Glibc.close(self.descriptor)
    }

    /// Queues `job`; any thread.
    func post(_ job: @escaping Job) {
        let wasEmpty = self.jobs.withLock { jobs in
            jobs.append(job)
            return jobs.count == 1
        }
        guard wasEmpty else { return }
        var one: UInt64 = 1
        _ = Glibc.write(self.descriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Runs the jobs queued so far; worker thread only. Jobs they post run next time.
    func runAll() {
        // The counter is reset before the queue is taken: a job posted after the take
        // finds the queue empty and signals again, so it is not left waiting unseen.
        var count: UInt64 = 0
        _ = Glibc.read(self.descriptor, &count, MemoryLayout<UInt64>.size)
        let jobs = self.jobs.withLock { jobs in
            let taken = jobs
            jobs = []
            return taken
        }
        for job in jobs { job() }
    }
}
