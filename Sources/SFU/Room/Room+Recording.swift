import Foundation
import ICE
public import Recording
import SDP

/// A participant's recording: its parts (each a recording of the recorder, one file),
/// with the producers whose packets go to each.
struct RoomRecording {
    struct Part {
        let id: String
        let producers: [Producer]
    }

    let parts: [Part]
    let recorder: Recorder
    /// This recording, not a later one of the same participant.
    let token: RecordingToken

    var producers: [Producer] { self.parts.flatMap(\.producers) }
}

final class RecordingToken: Sendable {}

/// Recording what participants publish: the control plane. Per packet, a recorded
/// producer copies each packet of its recorded stream into the recorder's queue
/// (`RecordingTap`); the recorder writes on its own thread.
extension Room {
    /// Starts recording `participantID`'s tracks: into one file at `basePath` plus the
    /// extension its codecs call for, and (or) Janus's `.mjr` file per track at the path
    /// `janusBasePath` gives it. The audio and video the recorder depacketizes are
    /// recorded, a simulcast track from its highest stream. The audio goes with the first
    /// video track; each further video track (a screen share) is a file of its own, at
    /// `basePath` plus `-video-<mid>`. Asks the publisher for a key frame to start on.
    /// Raises `recordingStarted`, and `recordingFinished` once every file is closed.
    /// Returns the files' paths.
    public func startRecording(
        participantID: String,
        basePath: String?,
        janusBasePath: (@Sendable (TrackInfo) -> String)? = nil,
        recorder: Recorder
    ) throws(SFUError) -> [String] {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        self.stopRecording(participantID: participantID)
        let producers = participant.producers.filter {
            RecordedCodec(rtpName: $0.codec.name) != nil && !$0.streams.isEmpty
        }
        guard !producers.isEmpty else { throw .recording("\(participantID) publishes no track that can be recorded") }
        let token = RecordingToken()
        let firstVideo = producers.first { $0.kind == "video" }
        var groups = [producers.filter { $0.kind != "video" || $0 === firstVideo }]
        for producer in producers where producer.kind == "video" && producer !== firstVideo {
            groups.append([producer])
        }
        var parts: [RoomRecording.Part] = []
        var files: [String] = []
        var codecs: [String] = []
        for (number, group) in groups.enumerated() {
            let id = "\(self.name)/\(participantID)" + (number == 0 ? "" : "/\(group[0].mid)")
            var tracks: [Recorder.Track] = []
            for (index, producer) in group.enumerated() {
                guard let codec = RecordedCodec(rtpName: producer.codec.name) else { continue }
                producer.recordingTap = RecordingTap(
                    recorder: recorder,
                    recordingID: id,
                    track: index,
                    streams: producer.streams
                )
                tracks.append(
                    .init(
                        codec: codec,
                        clockRate: Int(producer.codec.clockRate),
                        channels: Int(producer.codec.channels ?? 1)
                    )
                )
            }
            // A recording that cannot go on (a full disk) stops: `recordingFinished` tells why.
            let callbacks = RecorderCallbacks(room: self, participantID: participantID, token: token, producers: group)
            let output = Recorder.Output(
                basePath: basePath.map { number == 0 ? $0 : "\($0)-video-\(Self.fileName(group[0].mid))" },
                janusBasePaths: janusBasePath.map { group.map(\.info).map($0) }
            )
            recorder.start(
                id: id,
                output: output,
                tracks: tracks,
                failed: { _ in callbacks.stopRecording() },
                requestKeyFrame: { callbacks.requestKeyFrame(ofTrack: $0) }
            )
            parts.append(.init(id: id, producers: group))
            files += Recorder.files(of: output, tracks: tracks)
            codecs += tracks.map(\.codec.rawValue)
        }
        for producer in producers where producer.kind == "video" { producer.requestKeyFrame() }
        self.recordings[participantID] = RoomRecording(parts: parts, recorder: recorder, token: token)
        self.onEvent?(.recordingStarted(participantID: participantID, files: files, codecs: codecs))
        return files
    }

    /// Stops `participantID`'s recording, if there is one; `recordingFinished` tells
    /// what it wrote, once the file is closed. Whether there was one.
    @discardableResult
    public func stopRecording(participantID: String) -> Bool {
        guard let recording = self.recordings.removeValue(forKey: participantID) else { return false }
        for producer in recording.producers { producer.recordingTap = nil }
        // Told through the handler the room has now, once every part's file is closed:
        // the room may be closed by then.
        let tell = EventHandler(worker: self.worker, handler: self.onEvent)
        let summaries = SummaryCollector(expected: recording.parts.count) { summary in
            tell.send(.recordingFinished(participantID: participantID, summary: summary))
        }
        for part in recording.parts {
            recording.recorder.stop(id: part.id) { summaries.add($0) }
        }
        return true
    }

    /// The participants being recorded.
    public var recordedParticipants: [String] { Array(self.recordings.keys).sorted() }

    /// Records every participant who publishes, now and whenever one starts, each into a
    /// file in `folder` named after the room, the participant and the time; `nil` stops
    /// every recording and records no one more.
    public func recordEveryone(into folder: String?, recorder: Recorder) throws(SFUError) {
        guard let folder else {
            self.recordsEveryone = nil
            for participantID in self.recordedParticipants { self.stopRecording(participantID: participantID) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .recording("\(folder): \(error.localizedDescription)")
        }
        self.recordsEveryone = (folder, recorder)
        for participant in self.participants.values.sorted(by: { $0.id < $1.id })
        where !participant.producers.isEmpty && self.recordings[participant.id] == nil {
            self.recordIfEveryoneIs(participant.id)
        }
    }

    /// Starts recording a participant that publishes while the whole room is recorded.
    func recordIfEveryoneIs(_ participantID: String) {
        guard let (folder, recorder) = self.recordsEveryone else { return }
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1_000)
        let name = "\(Self.fileName(self.name))-\(Self.fileName(participantID))-\(milliseconds)"
        let basePath = URL(fileURLWithPath: folder, isDirectory: true).appendingPathComponent(name).path
        _ = try? self.startRecording(participantID: participantID, basePath: basePath, recorder: recorder)
    }

    /// A name made safe for a file: letters, digits, `.`, `-` and `_` kept, the rest `_`;
    /// never empty, and never `.` or `..`.
    public static func fileName(_ name: String) -> String {
        let safe = String(
            name.unicodeScalars.prefix(64).map { scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || "._-".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            }
        )
        return safe.allSatisfy { $0 == "." } ? String(repeating: "_", count: max(1, safe.count)) : safe
    }
}

/// The summaries of a recording's parts, on the recorder's thread, as one once all came:
/// the first part's media file, every file, its duration, all the bytes and codecs, the
/// first failure.
private final class SummaryCollector: @unchecked Sendable {
    private let expected: Int
    private var summaries: [Recorder.Summary] = []
    private let done: @Sendable (Recorder.Summary) -> Void

    init(expected: Int, done: @escaping @Sendable (Recorder.Summary) -> Void) {
        self.expected = expected
        self.done = done
    }

    /// Called on the recorder's thread only, in the order the parts were stopped.
    func add(_ summary: Recorder.Summary) {
        self.summaries.append(summary)
        guard self.summaries.count == self.expected, var combined = self.summaries.first else { return }
        for part in self.summaries.dropFirst() {
            combined.files += part.files
            combined.bytes += part.bytes
            combined.codecs += part.codecs
            combined.failure = combined.failure ?? part.failure
        }
        self.done(combined)
    }
}

/// What the recorder asks of a recording's part from its thread, done on the room's
/// worker: a key frame of a track (and the tap takes the next of any stream), while its
/// producer lives; the recording stopped when it failed, while the room lives and the
/// recording is still the one that failed.
private final class RecorderCallbacks: @unchecked Sendable {
    private let worker: MediaWorker
    private weak var room: Room?
    private let participantID: String
    private let token: RecordingToken
    private let producers: [WeakProducer]

    private struct WeakProducer {
        weak var producer: Producer?
    }

    init(room: Room, participantID: String, token: RecordingToken, producers: [Producer]) {
        self.worker = room.worker
        self.room = room
        self.participantID = participantID
        self.token = token
        self.producers = producers.map(WeakProducer.init)
    }

    func requestKeyFrame(ofTrack index: Int) {
        self.worker.execute {
            guard self.producers.indices.contains(index), let producer = self.producers[index].producer else { return }
            producer.recordingTap?.takeNextKeyFrame()
            producer.requestKeyFrame()
        }
    }

    func stopRecording() {
        self.worker.execute {
            guard let room = self.room, room.recordings[self.participantID]?.token === self.token else { return }
            room.stopRecording(participantID: self.participantID)
        }
    }
}

private final class EventHandler: @unchecked Sendable {
    let worker: MediaWorker
    let handler: ((RoomEvent) -> Void)?

    init(worker: MediaWorker, handler: ((RoomEvent) -> Void)?) {
        self.worker = worker
        self.handler = handler
    }

    func send(_ event: RoomEvent) {
        guard self.handler != nil else { return }
        self.worker.execute { self.handler?(event) }
    }
}
