import Foundation
import Logging
import SFU

/// Recording publishers as Janus's VideoRoom does, each to one file that plays at once
/// (docs/recording.md): the room's `record` and `rec_dir`, `enable_recording`, and a
/// publisher's `configure` with `record` and `filename`.
extension JanusGateway {
    /// `enable_recording`: the room's recording on or off, for every publisher in it.
    func enableRecording(_ room: VideoRoomState, _ fields: JanusFields) async throws(VideoRoomError) -> JSONValue {
        guard let record = try fields.bool("record") else { throw .missing("record") }
        room.settings.record = record
        for feed in room.feeds.values.sorted(by: { $0.id < $1.id }) {
            feed.recordingWanted = record
            await self.updateRecording(of: feed, in: room)
        }
        return ["videoroom": "success", "record": .bool(record)]
    }

    /// Starts or stops the recording of a feed as its `recordingWanted` says, while it
    /// publishes. A recording that cannot start (a folder it may not create) is logged
    /// and counted; the call goes on.
    func updateRecording(of feed: Feed, in room: VideoRoomState) async {
        let wanted = feed.recordingWanted && !feed.tracks.isEmpty
        guard wanted != feed.isRecorded else { return }
        let participantID = feed.participantID
        guard wanted else {
            feed.isRecorded = false
            try? await self.server.withRoom(room.coreName) { core throws(SFUError) in
                _ = core.stopRecording(participantID: participantID)
            }
            return
        }
        let directory = self.recordingFolder(of: room)
        // As Janus names its files; the media file, which holds every track, without the
        // per-track suffix of Janus's `.mjr` files.
        let microseconds = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let name = feed.recordingFilename ?? "videoroom-\(room.id)-user-\(feed.id)-\(microseconds)"
        let basePath = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        let format = self.configuration.recordingFormat
        let mindexes = Dictionary(feed.tracks.map { ($0.info.mid, $0.mindex) }, uniquingKeysWith: { first, _ in first })
        var janusBasePath: (@Sendable (TrackInfo) -> String)?
        if format.writesJanusFiles {
            janusBasePath = { (track: TrackInfo) -> String in
                "\(basePath)-\(track.kind)-\(mindexes[track.mid] ?? 0)"
            }
        }
        let perTrack = janusBasePath
        let logger = self.logger
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            logger.warning("cannot record feed \(feed.id) of room \(room.id): \(directory): \(error)")
            self.counters.countError(face: Self.faceName, code: "recording")
            return
        }
        let recorder = self.server.recorder
        let roomID = room.id
        let feedID = feed.id
        do {
            let files = try await self.server.withRoom(room.coreName) { core throws(SFUError) in
                try core.startRecording(
                    participantID: participantID,
                    basePath: format.writesMediaFile ? basePath : nil,
                    janusBasePath: perTrack,
                    recorder: recorder
                )
            }
            feed.isRecorded = true
            logger.info("recording feed \(feedID) of room \(roomID) to \(files.joined(separator: ", "))")
        } catch {
            logger.warning("cannot record feed \(feedID) of room \(roomID): \(error)")
            self.counters.countError(face: Self.faceName, code: "recording")
        }
    }

    /// A `rec_dir` must name a folder, under `--recordings-root` when one is set (checked
    /// on the path as written: `..` cannot climb out).
    func checkRecordingDirectory(_ directory: String, _ element: String) throws(VideoRoomError) {
        guard !directory.isEmpty, directory.utf8.count <= 1024, !directory.contains("\u{0}") else {
            throw .invalidElement(element, "a folder")
        }
        guard let root = self.configuration.recordingsRoot else { return }
        let path = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: root, isDirectory: true))
            .absoluteURL.standardized.path
        guard path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw .invalidElement(element, "a folder under \(root)")
        }
    }

    /// Where a room's recordings go: its `rec_dir` (a relative one under the recordings
    /// root, or the working folder), else the recordings root, else the working folder.
    func recordingFolder(of room: VideoRoomState) -> String {
        let base = URL(
            fileURLWithPath: self.configuration.recordingsRoot ?? FileManager.default.currentDirectoryPath,
            isDirectory: true
        )
        guard let directory = room.settings.recordingDirectory else { return base.path }
        return URL(fileURLWithPath: directory, relativeTo: base).absoluteURL.standardized.path
    }
}
