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

    /// What a finished recording wrote: its media file (`path`, when it made one), every
    /// file (with Janus's `.mjr` files), the media file's duration and the bytes of all.
    public struct Summary: Sendable, Equatable {
        public var path: String?
        public var files: [String]
        public var seconds: Double
        public var bytes: Int
        public var codecs: [String]
        public var failure: String?
    }

    /// What a recording writes: one media file of every track (`basePath` plus the
    /// container's extension), Janus's `.mjr` file per track (`janusBasePaths`, in track
    /// order, plus `.mjr`), or both.
    public struct Output: Sendable, Equatable {
        public var basePath: String?
        public var janusBasePaths: [String]?

        public init(basePath: String? = nil, janusBasePaths: [String]? = nil) {
            self.basePath = basePath
            self.janusBasePaths = janusBasePaths
        }
    }

    /// A recording's parts on the recording thread.
    private final class Recording {
        var media: RecordingSession?
        var janus: JanusRecording?
        var failure: RecordingError?
        let codecs: [String]
        let failed: @Sendable (RecordingError) -> Void
        var toldFailure = false

        init(codecs: [String], failed: @escaping @Sendable (RecordingError) -> Void) {
            self.codecs = codecs
            self.failed = failed
        }

        /// The first of its parts' failures.
        var anyFailure: RecordingError? { self.failure ?? self.media?.failure ?? self.janus?.failure }
    }

    private enum Item {
        case start(
            id: String,
            output: Output,
            tracks: [Track],
            failed: @Sendable (RecordingError) -> Void,
            requestKeyFrame: @Sendable (Int) -> Void
        )
        case packet(id: String, track: Int, bytes: [UInt8], arrival: UInt64)
        case senderReport(id: String, track: Int, ssrc: UInt32, ntp: UInt64, timestamp: UInt32)
        case stop(id: String, done: @Sendable (Summary) -> Void)
        case shutdown(done: @Sendable () -> Void)
    }

    private let condition = NSCondition()
    private var queue = Deque<Item>()
    private let capacity: Int
    private var thread: Thread?
    /// Touched on the recording thread only.
    private var sessions: [String: Recording] = [:]
    /// Packets dropped from recordings because the queue was full.
    public var droppedPackets: Int { self.condition.withLock { self.droppedCount } }
    /// Recordings that could not go on (a file not created or not written).
    public var failedRecordings: Int { self.condition.withLock { self.failedCount } }
    private var droppedCount = 0
    private var failedCount = 0

    /// The thread starts with the first recording.
    public init(capacity: Int = 8_192) {
        self.capacity = capacity
    }

    /// The file a recording of `tracks` at `basePath` writes: `.webm` for VP8, VP9 or AV1
    /// video (with Opus), `.mkv` for H.264, `.ogg` for audio alone.
    public static func path(basePath: String, tracks: [Track]) -> String {
        basePath + "." + RecordingSession.container(of: tracks.map(\.codec)).fileExtension
    }

    /// Every file a recording of `tracks` to `output` writes.
    public static func files(of output: Output, tracks: [Track]) -> [String] {
        (output.basePath.map { [Self.path(basePath: $0, tracks: tracks)] } ?? [])
            + (output.janusBasePaths ?? []).map { $0 + ".mjr" }
    }

    /// Finishes every recording still open and stops the thread, once what is queued is
    /// written.
    public func shutdown() async {
        guard self.condition.withLock({ self.thread != nil }) else { return }
        await withCheckedContinuation { continuation in
            self.push(.shutdown(done: { continuation.resume() }), force: true)
        }
    }

    /// Starts recording `tracks` (indices as `enqueue` gives them) to `output`.
    /// `requestKeyFrame` is called on the recording thread when a video track needs a key
    /// frame to start or go on; `failed`, once, when the recording cannot go on (its file
    /// cannot be created or written: a full disk). What was written before plays.
    public func start(
        id: String,
        output: Output,
        tracks: [Track],
        failed: @escaping @Sendable (RecordingError) -> Void = { _ in },
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
        self.push(
            .start(id: id, output: output, tracks: tracks, failed: failed, requestKeyFrame: requestKeyFrame),
            force: true
        )
    }

    /// Copies a packet of track `track` into the queue, stamped with its time of arrival
    /// (now, on the monotonic clock); false when the queue was full.
    @discardableResult
    public func enqueue(_ packet: RTPPacket, id: String, track: Int) -> Bool {
        let bytes = packet.bytes.withUnsafeReadableBytes { Array($0) }
        return self.push(
            .packet(id: id, track: track, bytes: bytes, arrival: Self.monotonicNanoseconds()),
            force: false
        )
    }

    /// A sender report of stream `ssrc` of track `track` (a simulcast track has several).
    public func senderReport(id: String, track: Int, ssrc: UInt32, ntp: UInt64, timestamp: UInt32) {
        self.push(.senderReport(id: id, track: track, ssrc: ssrc, ntp: ntp, timestamp: timestamp), force: false)
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
            self.droppedCount += 1
            return false
        }
        self.queue.append(item)
        // Packets wake no one: the recording thread takes them every 20 ms. A wake-up
        // per packet cost the media worker a futex call and a context switch each.
        if force { self.condition.signal() }
        return true
    }

    private func run() {
        // Named for the system too (`comm`): otherwise it keeps the name of the media
        // worker that started it, and its CPU counts as forwarding.
        Thread.current.name = "sfu-recorder"
        var batch: [Item] = []
        while true {
            self.condition.lock()
            if self.queue.isEmpty {
                // With a recording open, every 20 ms: the packets queued since, and its
                // gaps given up and its file opened on time even when no packet comes.
                if self.sessions.isEmpty {
                    self.condition.wait()
                } else {
                    _ = self.condition.wait(until: Date(timeIntervalSinceNow: 0.02))
                }
            }
            batch.append(contentsOf: self.queue)
            self.queue.removeAll(keepingCapacity: true)
            self.condition.unlock()
            for item in batch {
                if case .shutdown(let done) = item {
                    for recording in self.sessions.values { Self.finish(recording) }
                    self.sessions.removeAll()
                    self.condition.withLock { self.thread = nil }
                    done()
                    return
                }
                self.handle(item)
            }
            batch.removeAll(keepingCapacity: true)
            let now = Self.monotonicNanoseconds()
            for recording in self.sessions.values {
                recording.media?.tick(now: now)
                recording.janus?.tick(now: now)
                if !recording.toldFailure, let failure = recording.anyFailure {
                    recording.toldFailure = true
                    self.condition.withLock { self.failedCount += 1 }
                    recording.failed(failure)
                }
            }
        }
    }

    private func handle(_ item: Item) {
        switch item {
        case .start(let id, let output, let tracks, let failed, let requestKeyFrame):
            if let earlier = self.sessions.removeValue(forKey: id) { Self.finish(earlier) }
            let recording = Recording(codecs: tracks.map(\.codec.rawValue), failed: failed)
            if let basePath = output.basePath {
                recording.media = RecordingSession(
                    basePath: basePath,
                    tracks: tracks.map { .init(codec: $0.codec, clockRate: $0.clockRate, channels: $0.channels) },
                    requestKeyFrame: requestKeyFrame
                )
            }
            if let basePaths = output.janusBasePaths {
                do {
                    recording.janus = try JanusRecording(basePaths: basePaths, codecs: tracks.map(\.codec))
                } catch {
                    recording.failure = error
                }
            }
            self.sessions[id] = recording
        case .packet(let id, let track, let bytes, let arrival):
            guard let recording = self.sessions[id] else { return }
            recording.janus?.receive(bytes, track: track, arrival: arrival)
            guard let media = recording.media, let packet = try? RTPPacket(validating: ByteBuffer(bytes: bytes)) else {
                return
            }
            media.receive(packet, track: track, arrival: arrival)
        case .senderReport(let id, let track, let ssrc, let ntp, let timestamp):
            self.sessions[id]?.media?.receiveSenderReport(track: track, ssrc: ssrc, ntp: ntp, timestamp: timestamp)
        case .shutdown:
            break
        case .stop(let id, let done):
            guard let recording = self.sessions.removeValue(forKey: id) else {
                return done(Summary(path: nil, files: [], seconds: 0, bytes: 0, codecs: [], failure: "not recording"))
            }
            Self.finish(recording)
            let media = recording.media
            done(
                Summary(
                    path: media?.path,
                    files: (media?.path.map { [$0] } ?? []) + (recording.janus?.paths ?? []),
                    seconds: media?.durationSeconds ?? 0,
                    bytes: (media?.bytesWritten ?? 0) + (recording.janus?.bytes ?? 0),
                    codecs: recording.codecs,
                    failure: recording.anyFailure?.description
                )
            )
        }
    }

    private static func finish(_ recording: Recording) {
        recording.media?.finish()
        recording.janus?.finish()
    }

    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
