import Foundation
import ICE
public import Recording
import SDP

/// A participant's recording: the producers whose packets go to it.
struct RoomRecording {
    let id: String
    let recorder: Recorder
    let producers: [Producer]
    /// This recording, not a later one of the same participant.
    let token: RecordingToken
}

final class RecordingToken: Sendable {}

/// Recording what participants publish: the control plane. Per packet, a recorded
/// producer copies each packet of its recorded stream into the recorder's queue
/// (`RecordingTap`); the recorder writes on its own thread.
extension Room {
    /// Starts recording `participantID`'s tracks: into one file at `basePath` plus the
    /// extension its codecs call for, and (or) Janus's `.mjr` file per track at the path
    /// `janusBasePath` gives it. The audio and video the recorder depacketizes are
    /// recorded, a simulcast track from its highest stream. Asks the publisher for a key
    /// frame to start on. Raises `recordingStarted`, and `recordingFinished` once the
    /// files are closed. Returns the files' paths.
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
        let id = "\(self.name)/\(participantID)"
        var tracks: [Recorder.Track] = []
        for (index, producer) in producers.enumerated() {
            guard let codec = RecordedCodec(rtpName: producer.codec.name), !producer.streams.isEmpty else { continue }
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
        let asking = KeyFrameRequester(worker: self.worker, producers: producers)
        let output = Recorder.Output(
            basePath: basePath,
            janusBasePaths: janusBasePath.map { producers.map(\.info).map($0) }
        )
        // A recording that cannot go on (a full disk) stops: `recordingFinished` tells why.
        let token = RecordingToken()
        let stopping = FailedRecordingStopper(
            worker: self.worker,
            room: self,
            participantID: participantID,
            token: token
        )
        recorder.start(
            id: id,
            output: output,
            tracks: tracks,
            failed: { _ in stopping.stop() },
            requestKeyFrame: { asking.requestKeyFrame(ofTrack: $0) }
        )
        for producer in producers where producer.kind == "video" { producer.requestKeyFrame() }
        self.recordings[participantID] = RoomRecording(id: id, recorder: recorder, producers: producers, token: token)
        let files = Recorder.files(of: output, tracks: tracks)
        self.onEvent?(
            .recordingStarted(participantID: participantID, files: files, codecs: tracks.map(\.codec.rawValue))
        )
        return files
    }

    /// Stops `participantID`'s recording, if there is one; `recordingFinished` tells
    /// what it wrote, once the file is closed. Whether there was one.
    @discardableResult
    public func stopRecording(participantID: String) -> Bool {
        guard let recording = self.recordings.removeValue(forKey: participantID) else { return false }
        for producer in recording.producers { producer.recordingTap = nil }
        // Told through the handler the room has now: the room may be closed by the time
        // the file is.
        let tell = EventHandler(worker: self.worker, handler: self.onEvent)
        recording.recorder.stop(id: recording.id) { summary in
            tell.send(.recordingFinished(participantID: participantID, summary: summary))
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

/// Stops a recording that failed, from the recorder's thread: on the room's worker, while
/// the room lives and the recording is still the one that failed.
private final class FailedRecordingStopper: @unchecked Sendable {
    let worker: MediaWorker
    weak var room: Room?
    let participantID: String
    let token: RecordingToken

    init(worker: MediaWorker, room: Room, participantID: String, token: RecordingToken) {
        self.worker = worker
        self.room = room
        self.participantID = participantID
        self.token = token
    }

    func stop() {
        self.worker.execute {
            guard let room = self.room, room.recordings[self.participantID]?.token === self.token else { return }
            room.stopRecording(participantID: self.participantID)
        }
    }
}

/// Asks a recorded track's publisher for a key frame from the recorder's thread: on the
/// room's worker, while the producer lives.
private final class KeyFrameRequester: @unchecked Sendable {
    let worker: MediaWorker
    private var producers: [WeakProducer]

    private struct WeakProducer {
        weak var producer: Producer?
    }

    init(worker: MediaWorker, producers: [Producer]) {
        self.worker = worker
        self.producers = producers.map(WeakProducer.init)
    }

    func requestKeyFrame(ofTrack index: Int) {
        self.worker.execute {
            guard self.producers.indices.contains(index), let producer = self.producers[index].producer else { return }
            producer.recordingTap?.takeNextKeyFrame()
            producer.requestKeyFrame()
        }
    }
}

/// A room's event handler, kept to raise an event on the room's worker from another
/// thread after the room may have closed.
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
