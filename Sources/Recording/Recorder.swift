import DequeModule
import Foundation
import NIOCore
public import RTP

/// Records publishers to files on a thread of its own. The media workers only copy each
/// packet into a bounded queue (`enqueue`); when the queue is full (a slow disk), the
/// packet is dropped from the recording and counted, and forwarding goes on untouched.
public final class Recorder: @unchecked Sendable {
    public struct Track: Sendable {
        public var codec: RecordedCodec
        public var clockRate: Int
        public var channels: Int

        public init(codec: RecordedCodec, clockRate: Int, channels: Int = 1) {
            self.codec = codec
            self.clockRate = clockRate
            self.channels = channels
        }
    }

    /// What a finished recording wrote.
    public struct Summary: Sendable, Equatable {
        public var path: String?
        public var seconds: Double
        public var bytes: Int
        public var codecs: [String]
        public var failure: String?
    }

    private enum Item {
        case start(id: String, basePath: String, tracks: [Track], requestKeyFrame: @Sendable (Int) -> Void)
        case packet(id: String, track: Int, bytes: [UInt8], arrival: UInt64)
        case senderReport(id: String, track: Int, ntp: UInt64, timestamp: UInt32)
        case stop(id: String, done: @Sendable (Summary) -> Void)
        case shutdown(done: @Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var queue = Deque<Item>()
    private let capacity: Int
    private var thread: Thread?
    /// Touched on the recording thread only.
    private var sessions: [String: RecordingSession] = [:]
    /// Packets dropped from recordings because the queue was full.
    public private(set) var droppedPackets = 0

    /// The thread starts with the first recording.
    public init(capacity: Int = 8_192) {
        self.capacity = capacity
    }

    /// The file a recording of `tracks` at `basePath` writes: `.webm` for VP8, VP9 or AV1
    /// video (with Opus), `.mkv` for H.264, `.ogg` for audio alone.
    public static func path(basePath: String, tracks: [Track]) -> String {
        basePath + "." + RecordingSession.container(of: tracks.map(\.codec)).fileExtension
    }

    /// Finishes every recording still open and stops the thread, once what is queued is
    /// written.
    public func shutdown() async {
        guard self.condition.withLock({ self.thread != nil }) else { return }
        await withCheckedContinuation { continuation in
            self.push(.shutdown(done: { continuation.resume() }), force: true)
        }
    }

    /// Starts recording `tracks` (indices as `enqueue` gives them) to `basePath` plus the
    /// container's extension. `requestKeyFrame` is called on the recording thread when a
    /// video track needs a key frame to start or go on.
    public func start(
        id: String,
        basePath: String,
        tracks: [Track],
        requestKeyFrame: @escaping @Sendable (Int) -> Void
    ) {
        self.condition.withLock {
            guard self.thread == nil else { return }
            // It holds the recorder until `shutdown`.
            let thread = Thread { self.run() }
            thread.name = "sfu-recorder"
            self.thread = thread
            thread.start()
        }
        self.push(.start(id: id, basePath: basePath, tracks: tracks, requestKeyFrame: requestKeyFrame), force: true)
    }

    /// Copies a packet of track `track` into the queue; false when it was full.
    @discardableResult
    public func enqueue(_ packet: RTPPacket, id: String, track: Int, arrival: UInt64) -> Bool {
        let bytes = packet.bytes.withUnsafeReadableBytes { Array($0) }
        return self.push(.packet(id: id, track: track, bytes: bytes, arrival: arrival), force: false)
    }

    public func senderReport(id: String, track: Int, ntp: UInt64, timestamp: UInt32) {
        self.push(.senderReport(id: id, track: track, ntp: ntp, timestamp: timestamp), force: false)
    }

    /// Finishes the recording; `done` gets what it wrote, on the recording thread.
    public func stop(id: String, done: @escaping @Sendable (Summary) -> Void) {
        self.push(.stop(id: id, done: done), force: true)
    }

    public func stop(id: String) async -> Summary {
        await withCheckedContinuation { continuation in self.stop(id: id) { continuation.resume(returning: $0) } }
    }

    @discardableResult
    private func push(_ item: Item, force: Bool) -> Bool {
        self.condition.lock()
        defer { self.condition.unlock() }
        guard force || self.queue.count < self.capacity else {
            self.droppedPackets += 1
            return false
        }
        self.queue.append(item)
        if self.queue.count == 1 { self.condition.signal() }
        return true
    }

    private func run() {
        var batch: [Item] = []
        while true {
            self.condition.lock()
            if self.queue.isEmpty {
                // With a recording open, every 50 ms: its gaps give up and its file opens
                // on time even when no packet comes.
                if self.sessions.isEmpty {
                    self.condition.wait()
                } else {
                    _ = self.condition.wait(until: Date(timeIntervalSinceNow: 0.05))
                }
            }
            batch.append(contentsOf: self.queue)
            self.queue.removeAll(keepingCapacity: true)
            self.condition.unlock()
            for item in batch {
                if case .shutdown(let done) = item {
                    for session in self.sessions.values { session.finish() }
                    self.sessions.removeAll()
                    self.condition.withLock { self.thread = nil }
                    done()
                    return
                }
                self.handle(item)
            }
            batch.removeAll(keepingCapacity: true)
            let now = Self.monotonicNanoseconds()
            for session in self.sessions.values { session.tick(now: now) }
        }
    }

    private func handle(_ item: Item) {
        switch item {
        case .start(let id, let basePath, let tracks, let requestKeyFrame):
            self.sessions[id]?.finish()
            self.sessions[id] = RecordingSession(
                basePath: basePath,
                tracks: tracks.map { .init(codec: $0.codec, clockRate: $0.clockRate, channels: $0.channels) },
                requestKeyFrame: requestKeyFrame
            )
        case .packet(let id, let track, let bytes, let arrival):
            guard let session = self.sessions[id], let packet = try? RTPPacket(validating: ByteBuffer(bytes: bytes))
            else { return }
            session.receive(packet, track: track, arrival: arrival)
        case .senderReport(let id, let track, let ntp, let timestamp):
            self.sessions[id]?.receiveSenderReport(track: track, ntp: ntp, timestamp: timestamp)
        case .shutdown:
            break
        case .stop(let id, let done):
            guard let session = self.sessions.removeValue(forKey: id) else {
                return done(Summary(path: nil, seconds: 0, bytes: 0, codecs: [], failure: "not recording"))
            }
            session.finish()
            done(
                Summary(
                    path: session.path,
                    seconds: session.durationSeconds,
                    bytes: session.bytesWritten,
                    codecs: session.codecs,
                    failure: session.failure?.description
                )
            )
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
