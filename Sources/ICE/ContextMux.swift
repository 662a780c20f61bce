internal import CNice
internal import CUDP
import Glibc
import HeapModule

/// The GLib context of one peer connection (its libnice agent's sockets and timers, its
/// own timers), iterated by its worker only when one of its descriptors is ready or one
/// of its timers is due.
///
/// Why (docs/decisions.md): a GLib iteration prepares, polls and checks every source of
/// its context. With every agent on the worker's one context, each wake-up cost grew
/// with the number of peers: at 200 subscribers GLib and `poll` took over a fifth of
/// the server's CPU, and wake-ups themselves grow with peers (each sends RTCP). With a
/// context per agent, the worker waits on one epoll set, and a wake-up costs only what
/// the ready peers hold.
final class PeerContext {
    let context: OpaquePointer  // GMainContext
    let id: Int
    /// What the last query asked to be polled, and what came back ready.
    var descriptors: [GPollFD] = Array(repeating: GPollFD(), count: 4)
    var count = 0
    var priority: Int32 = 0
    /// GLib's wake-up descriptor of the context (its eventfd), which the mux does not
    /// poll. GLib signals it whenever one of the context's sources is unblocked after its
    /// dispatch or given a new ready time, even on the owning thread: polled, each
    /// dispatch of a peer cost a spurious turn of the worker and of the peer. Everything
    /// that changes what a peer context waits for runs on the worker, which prepares the
    /// context again after each iteration and each call into it (`ContextMux.refresh`).
    var wakeup: Int32 = -1
    /// Descriptors this context has in the mux's epoll set, with their events, and the
    /// query they came from (descriptor and events packed), to see cheaply that the
    /// next query asks for the same.
    var registered: [Int32: UInt32] = [:]
    var registeredQuery: [UInt64] = []
    /// The time of this context's live entry in the mux's deadlines, and its generation:
    /// an entry whose generation is not the context's is stale and skipped.
    var deadline: Int?
    var generation = 0
    /// Whether the context's last preparation asked to be iterated again at once.
    var wantedImmediately = false
    var isIterating = false
    /// In the mux, not yet removed.
    var isActive = true
    /// Datagrams the context may still hand to its agent in the current turn, whether the
    /// agent used its turn up and waits for the others' (`ContextMux.yield`), and the
    /// agent, to let it take datagrams again.
    var budget = ContextMux.datagramsPerTurn
    var hasYielded = false
    weak var agent: ICEAgent?

    init(id: Int) {
        self.context = g_main_context_new()
        self.id = id
    }

    deinit {
        g_main_context_unref(self.context)
    }
}

/// The worker's loop, one `turn()` per round: waits on an epoll set of all its
/// `PeerContext`s' descriptors, its RTP sockets and its job queue, until one is ready or
/// the earliest of the contexts' deadlines and the worker's timers (`WorkerTimers`), and
/// handles what is. Worker thread only.
final class ContextMux {
    struct Deadline: Comparable {
        var time: Int  // g_get_monotonic_time, microseconds
        var id: Int
        var generation: Int

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.time < rhs.time }
    }

    let epoll: Int32
    private let jobs: JobQueue
    /// The job queue's descriptor alone: what a quiet worker waits on (`waitQuietly`).
    private let jobsEpoll: Int32
    /// Whether this turn read media (an RTP datagram, not RTCP or STUN), and when one
    /// last did (g_get_monotonic_time).
    var readMedia = false
    private var lastMedia = 0
    private var contexts: [Int: PeerContext] = [:]
    /// Which context a descriptor is registered for: a descriptor closed by one context
    /// leaves the epoll set by itself, and its number can come back to another.
    private var owners: [Int32: Int] = [:]
    private var deadlines = Heap<Deadline>()
    private var nextID = 0
    private var events = [epoll_event](repeating: epoll_event(), count: 128)
    private var ready: [PeerContext] = []
    private var yielded: [PeerContext] = []
    /// The agents whose RTP is read around libnice, by their RTP socket's descriptor
    /// (registered with `rtpTag` in the epoll data), and the buffers they read into.
    private var rtpReaders: [Int32: RTPReader] = [:]
    private var readyRTP: [ICEAgent] = []
    let receiveBatch = ReceiveBatch()
    static let rtpTag: UInt64 = 1 << 63
    static let jobsTag: UInt64 = 1 << 62
    /// The worker's timers, fired in the same round.
    let timers = WorkerTimers()

    struct RTPReader {
        weak var agent: ICEAgent?
    }

    /// How many datagrams one context's agent takes per turn. libnice reads a socket until
    /// it is empty, so a peer whose datagrams cost more than they take to arrive (a
    /// publisher with a thousand subscribers at the limit of a core) would hold the worker
    /// in one dispatch forever, and every other peer's timers (consent freshness) with it:
    /// measured, a 13.6 s dispatch and 800 subscribers declared failed. A context that
    /// used its turn yields until the others had theirs.
    static let datagramsPerTurn = 32

    init(jobs: JobQueue) {
        self.epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(self.epoll >= 0, "epoll_create1: errno \(errno)")
        self.jobs = jobs
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.jobsTag
        _ = epoll_ctl(self.epoll, EPOLL_CTL_ADD, jobs.descriptor, &event)
        self.jobsEpoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(self.jobsEpoll >= 0, "epoll_create1: errno \(errno)")
        _ = epoll_ctl(self.jobsEpoll, EPOLL_CTL_ADD, jobs.descriptor, &event)
    }

    /// Releases the contexts left and closes the epoll set (the worker stops). Worker
    /// thread only.
    func close() {
        for context in self.contexts.values {
            context.isActive = false
            g_main_context_release(context.context)
        }
        self.contexts.removeAll()
        self.yielded.removeAll()
        self.timers.cancelAll()
        Glibc.close(self.epoll)
        Glibc.close(self.jobsEpoll)
    }

    /// A new context, owned by the calling (worker) thread and iterated from now on.
    func makeContext() -> PeerContext {
        self.nextID += 1
        let context = PeerContext(id: self.nextID)
        g_main_context_acquire(context.context)
        // A new context polls its wake-up descriptor alone.
        var record = GPollFD()
        var timeout: Int32 = -1
        if g_main_context_query(context.context, Int32.max, &timeout, &record, 1) == 1 { context.wakeup = record.fd }
        self.contexts[context.id] = context
        self.prepare(context)
        return context
    }

    /// Stops iterating `context` after `grace` (what it still has to do, a libnice
    /// agent's closing, happens meanwhile), then releases it. Called again, the earlier
    /// of the two wins.
    func retire(_ context: PeerContext, after grace: Duration) {
        _ = WorkerTimer(timers: self.timers, every: max(grace, .microseconds(1))) {
            [unowned self, weak context] in
            if let context { self.remove(context) }
            return false
        }
    }

    /// Releases `context` once `object` (its libnice agent) is finalized, or after
    /// `limit` if that never comes.
    func retire(_ context: PeerContext, whenFinalized object: OpaquePointer, limit: Duration) {
        let box = Unmanaged.passRetained(RetireBox(mux: self, context: context)).toOpaque()
        cnice_when_finalized(
            UnsafeMutableRawPointer(object),
            { data, _ in
                // On whichever thread let the agent go last: the context is removed by a
                // job, at the end of a round, outside any context's iteration.
                let box = UncheckedBox(Unmanaged<RetireBox>.fromOpaque(data!).takeRetainedValue())
                box.value.mux.jobs.post {
                    if let context = box.value.context { box.value.mux.remove(context) }
                }
            },
            box
        )
        self.retire(context, after: limit)
    }

    /// Something outside the context's own iteration changed what it waits for (a call
    /// into libnice attached a timer, say): GLib wakes a context only for other threads,
    /// so the mux asks it again now.
    func refresh(_ context: PeerContext) {
        guard !context.isIterating, context.isActive else { return }
        self.prepare(context)
    }

    /// What a retiring timer knows: weakly, the context (released as soon as the first
    /// of its timers removed it).
    final class RetireBox {
        let mux: ContextMux
        weak var context: PeerContext?
        init(mux: ContextMux, context: PeerContext) {
            self.mux = mux
            self.context = context
        }
    }

    private func remove(_ context: PeerContext) {
        guard self.contexts.removeValue(forKey: context.id) != nil else { return }
        context.isActive = false
        for descriptor in context.registered.keys where self.owners[descriptor] == context.id {
            self.owners[descriptor] = nil
            _ = epoll_ctl(self.epoll, EPOLL_CTL_DEL, descriptor, nil)
        }
        context.registered.removeAll()
        context.registeredQuery.removeAll()
        context.generation += 1
        context.deadline = nil
        g_main_context_release(context.context)
    }

    // MARK: - Iteration

    /// One round of the worker's loop: waits until a descriptor is ready or the next
    /// deadline comes, then reads the ready RTP sockets, iterates the contexts with a
    /// ready descriptor and those whose deadline passed, fires the timers due, and runs
    /// the jobs posted.
    func turn() {
        let start = g_get_monotonic_time()
        var timeout = self.timeout(now: start)
        if timeout != 0, self.isQuiet(now: start) {
            self.waitQuietly()
            timeout = 0
        }
        let count = self.events.withUnsafeMutableBufferPointer { events in
            epoll_wait(self.epoll, events.baseAddress, Int32(events.count), timeout)
        }
        var hasJobs = false
        if count > 0 {
            for index in 0..<Int(count) {
                let event = self.events[index]
                if event.data.u64 == Self.jobsTag {
                    hasJobs = true
                    continue
                }
                if event.data.u64 & Self.rtpTag != 0 {
                    let descriptor = Int32(truncatingIfNeeded: event.data.u64 & 0xFFFF_FFFF)
                    if let agent = self.rtpReaders[descriptor]?.agent { self.readyRTP.append(agent) }
                    continue
                }
                guard let context = self.contexts[Int(event.data.u64 >> 32)] else { continue }
                let descriptor = Int32(truncatingIfNeeded: event.data.u64 & 0xFFFF_FFFF)
                if self.mark(descriptor, events: event.events, in: context) { self.ready.append(context) }
            }
        }
        for agent in self.readyRTP where agent.readRTP(into: self.receiveBatch) { self.readMedia = true }
        self.readyRTP.removeAll(keepingCapacity: true)
        for context in self.ready where context.isActive { self.iterate(context) }
        self.ready.removeAll(keepingCapacity: true)
        let now = g_get_monotonic_time()
        if self.readMedia {
            self.readMedia = false
            self.lastMedia = now
        }
        while let first = self.deadlines.min, first.time <= now {
            self.deadlines.removeMin()
            guard let context = self.contexts[first.id], context.generation == first.generation else { continue }
            context.deadline = nil
            self.iterate(context)
        }
        self.timers.fire(now: now)
        self.resumeYielded()
        if hasJobs { self.jobs.runAll() }
    }

    /// A worker is quiet when nothing on it needs its time to the millisecond: no media
    /// read for a second, no fast timer (a handshake's retransmissions, repairs, probes),
    /// no peer context due off the grid within a step of it, no agent waiting for its next
    /// turn. Quiet, it takes what arrived (receiver reports, consent checks) on the slow
    /// timers' grid (`WorkerTimers.coalescingGrid`), as they come due, instead of waking
    /// for each datagram.
    private func isQuiet(now: Int) -> Bool {
        guard now - self.lastMedia >= 1_000_000, self.yielded.isEmpty, !self.timers.hasFastTimers(now: now) else {
            return false
        }
        // A context due on the grid is waited for as the grid's step is.
        guard let next = self.deadlines.min?.time else { return true }
        return next % WorkerTimers.coalescingGrid == 0 || next - now >= WorkerTimers.coalescingGrid
    }

    /// Waits for the next step of the grid, the next deadline or a job, whichever comes
    /// first; the turn then takes whatever is ready.
    private func waitQuietly() {
        let now = g_get_monotonic_time()
        let until = min(
            WorkerTimers.gridStep(after: now),
            self.deadlines.min?.time ?? .max,
            self.timers.nextDeadline ?? .max
        )
        guard until > now else { return }
        var event = epoll_event()
        _ = epoll_wait(self.jobsEpoll, &event, 1, Int32((until - now + 999) / 1_000))
    }

    /// Milliseconds `epoll_wait` may wait from `now` (g_get_monotonic_time microseconds):
    /// until the earliest of the contexts' deadlines and the timers', rounded up; -1 for
    /// none.
    private func timeout(now: Int) -> Int32 {
        let next = min(self.deadlines.min?.time ?? .max, self.timers.nextDeadline ?? .max)
        guard next != .max else { return -1 }
        guard next > now else { return 0 }
        return Int32(min((next - now + 999) / 1_000, Int(Int32.max)))
    }

    /// Reads `socket` for `agent` whenever it is readable: one batch per round (the epoll
    /// set is level-triggered, so what is left is read in the next round, after the
    /// others had theirs).
    func register(_ socket: RTPSocket, for agent: ICEAgent) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.rtpTag | UInt64(UInt32(bitPattern: socket.descriptor))
        guard epoll_ctl(self.epoll, EPOLL_CTL_ADD, socket.descriptor, &event) == 0 else { return }
        self.rtpReaders[socket.descriptor] = RTPReader(agent: agent)
    }

    /// Stops reading `socket`; call before closing it.
    func unregister(_ socket: RTPSocket) {
        guard self.rtpReaders.removeValue(forKey: socket.descriptor) != nil else { return }
        _ = epoll_ctl(self.epoll, EPOLL_CTL_DEL, socket.descriptor, nil)
    }

    /// Records what epoll said of `descriptor` in the context's poll records; true the
    /// first time the context gets something this round.
    private func mark(_ descriptor: Int32, events: UInt32, in context: PeerContext) -> Bool {
        var wasReady = false
        for index in 0..<context.count {
            if context.descriptors[index].revents != 0 { wasReady = true }
            if context.descriptors[index].fd == descriptor {
                context.descriptors[index].revents = UInt16(truncatingIfNeeded: Self.pollEvents(of: events))
            }
        }
        return !wasReady
    }

    /// The context's agent used its turn and stopped taking datagrams; it takes them
    /// again at the end of this round, after every other ready context and due deadline.
    /// Worker thread only.
    func yield(_ context: PeerContext) {
        guard !context.hasYielded else { return }
        context.hasYielded = true
        self.yielded.append(context)
    }

    private func resumeYielded() {
        guard !self.yielded.isEmpty else { return }
        let yielded = self.yielded
        self.yielded.removeAll(keepingCapacity: true)
        for context in yielded {
            context.hasYielded = false
            guard context.isActive else { continue }
            context.agent?.takeDatagramsAgain()
            self.refresh(context)
        }
    }

    private func iterate(_ context: PeerContext) {
        context.isIterating = true
        if !context.hasYielded { context.budget = Self.datagramsPerTurn }
        context.descriptors.withUnsafeMutableBufferPointer { descriptors in
            _ = g_main_context_check(context.context, context.priority, descriptors.baseAddress, Int32(context.count))
        }
        g_main_context_dispatch(context.context)
        context.isIterating = false
        if context.isActive { self.prepare(context) }
    }

    /// Prepares the context for its next iteration: what to poll, and until when.
    private func prepare(_ context: PeerContext) {
        var priority: Int32 = 0
        _ = g_main_context_prepare(context.context, &priority)
        context.priority = priority
        var timeout: Int32 = -1
        while true {
            let capacity = context.descriptors.count
            let needed = context.descriptors.withUnsafeMutableBufferPointer { descriptors in
                g_main_context_query(context.context, priority, &timeout, descriptors.baseAddress, Int32(capacity))
            }
            if Int(needed) <= capacity {
                context.count = Int(needed)
                break
            }
            context.descriptors = Array(repeating: GPollFD(), count: Int(needed) * 2)
        }
        for index in 0..<context.count { context.descriptors[index].revents = 0 }
        self.register(context)
        // Asked twice in a row to be iterated again at once, a context waits for the next
        // millisecond: libnice's timers count whole milliseconds, and one due in less than
        // a millisecond can re-arm itself at 0 ms until its time comes, each time an
        // iteration of the context and a turn of the worker (hundreds in a row, in bursts,
        // on a worker of idle peers).
        if timeout == 0 {
            if context.wantedImmediately { timeout = 1 }
            context.wantedImmediately = true
        } else {
            context.wantedImmediately = false
        }
        if timeout >= 0 {
            var time = g_get_monotonic_time() + Int(timeout) * 1_000
            // A slow libnice timer (consent freshness, keepalives: seconds apart) comes due
            // on the grid of the worker's slow timers, with the other peers' and the rooms':
            // the earliest of 800 peers' timers is otherwise never more than a few
            // milliseconds away, and each wakes the worker on its own.
            if Int(timeout) * 1_000 >= WorkerTimers.coalescedInterval { time = WorkerTimers.gridStep(after: time) }
            // An entry already due no later is kept: at worst it wakes the context early
            // once, and the context's next prepare sets the right time. A new entry on every
            // iteration would pile up stale ones for a busy peer.
            if let live = context.deadline, live <= time { return }
            context.generation += 1
            context.deadline = time
            self.deadlines.insert(Deadline(time: time, id: context.id, generation: context.generation))
        }
    }

    /// Brings the epoll set in line with what the context polls now. Usually the query
    /// is the one registered last, which is checked without hashing or allocating: a
    /// descriptor this context still polls is still open, so still its own.
    private func register(_ context: PeerContext) {
        var unchanged = context.registeredQuery.count == context.count
        if unchanged {
            for index in 0..<context.count
            where context.registeredQuery[index] != Self.packed(context.descriptors[index]) {
                unchanged = false
                break
            }
        }
        guard !unchanged else { return }
        context.registeredQuery = (0..<context.count).map { Self.packed(context.descriptors[$0]) }
        var wanted: [Int32: UInt32] = [:]
        for index in 0..<context.count where context.descriptors[index].fd != context.wakeup {
            let record = context.descriptors[index]
            wanted[record.fd, default: 0] |= Self.epollEvents(of: UInt32(record.events))
        }
        for (descriptor, _) in context.registered where wanted[descriptor] == nil {
            if self.owners[descriptor] == context.id {
                self.owners[descriptor] = nil
                _ = epoll_ctl(self.epoll, EPOLL_CTL_DEL, descriptor, nil)
            }
            context.registered[descriptor] = nil
        }
        for (descriptor, events) in wanted
        where context.registered[descriptor] != events || self.owners[descriptor] != context.id {
            var event = epoll_event()
            event.events = events
            event.data.u64 = UInt64(context.id) << 32 | UInt64(UInt32(bitPattern: descriptor))
            if epoll_ctl(self.epoll, EPOLL_CTL_MOD, descriptor, &event) != 0 {
                _ = epoll_ctl(self.epoll, EPOLL_CTL_ADD, descriptor, &event)
            }
            context.registered[descriptor] = events
            self.owners[descriptor] = context.id
        }
    }

    static func packed(_ record: GPollFD) -> UInt64 {
        UInt64(UInt32(bitPattern: record.fd)) << 32 | UInt64(Self.epollEvents(of: UInt32(record.events)))
    }

    static func epollEvents(of pollEvents: UInt32) -> UInt32 {
        var events: UInt32 = 0
        if pollEvents & UInt32(G_IO_IN.rawValue) != 0 { events |= EPOLLIN.rawValue }
        if pollEvents & UInt32(G_IO_OUT.rawValue) != 0 { events |= EPOLLOUT.rawValue }
        if pollEvents & UInt32(G_IO_PRI.rawValue) != 0 { events |= EPOLLPRI.rawValue }
        return events
    }

    static func pollEvents(of epollEvents: UInt32) -> UInt32 {
        var events: UInt32 = 0
        if epollEvents & EPOLLIN.rawValue != 0 { events |= UInt32(G_IO_IN.rawValue) }
        if epollEvents & EPOLLOUT.rawValue != 0 { events |= UInt32(G_IO_OUT.rawValue) }
        if epollEvents & EPOLLPRI.rawValue != 0 { events |= UInt32(G_IO_PRI.rawValue) }
        if epollEvents & EPOLLERR.rawValue != 0 { events |= UInt32(G_IO_ERR.rawValue) }
        if epollEvents & EPOLLHUP.rawValue != 0 { events |= UInt32(G_IO_HUP.rawValue) }
        return events
    }
}
