internal import CNice

/// A repeating timer on a media worker's GLib context: DTLS retransmissions, RTCP
/// reports, keyframe throttles. Created, fired and cancelled on the worker's thread.
public final class WorkerTimer {
    let source: UnsafeMutablePointer<GSource>
    var body: (() -> Bool)?

    /// Calls `body` every `interval` until it returns false or `cancel()` is called.
    public convenience init(on worker: MediaWorker, every interval: Duration, _ body: @escaping () -> Bool) {
        precondition(worker.isCurrentThread, "a WorkerTimer is created on its worker")
        self.init(context: worker.context, every: interval, body)
    }

    /// A timer of one peer connection: on its ICE agent's own context, so that the
    /// worker's context keeps a fixed number of sources however many peers it carries.
    public convenience init(on agent: ICEAgent, every interval: Duration, _ body: @escaping () -> Bool) {
        precondition(agent.worker.isCurrentThread, "a WorkerTimer is created on its worker")
        self.init(context: agent.peerContext.context, every: interval, body)
        agent.worker.mux.refresh(agent.peerContext)
    }

    init(context: OpaquePointer, every interval: Duration, _ body: @escaping () -> Bool) {
        self.body = body
        let milliseconds = max(1, min(interval / .milliseconds(1), Double(UInt32.max)))
        self.source = g_timeout_source_new(UInt32(milliseconds))
        g_source_set_callback(
            self.source,
            { context in
                guard let context else { return 0 }
                let timer = Unmanaged<WorkerTimer>.fromOpaque(context).takeUnretainedValue()
                guard let body = timer.body, body() else {
                    timer.body = nil
                    return 0
                }
                return 1
            },
            Unmanaged.passRetained(self).toOpaque(),
            { context in
                guard let context else { return }
                Unmanaged<WorkerTimer>.fromOpaque(context).release()
            }
        )
        g_source_attach(self.source, context)
    }

    deinit {
        g_source_unref(self.source)
    }

    /// Whether `body` will be called again: false once it returned false or the timer was
    /// cancelled.
    public var isRunning: Bool { self.body != nil }

    /// Stops the timer; `body` is not called again.
    public func cancel() {
        self.body = nil
        g_source_destroy(self.source)
    }
}
