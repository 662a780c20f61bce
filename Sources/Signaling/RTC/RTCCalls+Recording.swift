import Foundation
import Recording
import SFU

/// Recording a call from the backend (docs/rtc-face.md, docs/recording.md): every user who
/// publishes, now and whenever one starts, each into a file of their own in a folder of
/// the call's under the recordings root.
extension RTCCalls {
    /// `StartRecording` and `StopRecording`, `{"callId"}`.
    func record(_ message: RTCMessage, on: Bool) async throws(RTCError) {
        let (id, call) = try self.call(message)
        let folder = URL(fileURLWithPath: self.recordingsFolder, isDirectory: true)
            .appendingPathComponent(Room.fileName(call.room)).path
        let recorder = self.server.recorder
        _ = try await self.inRoom(call.room, ref: message.ref) { room throws(SFUError) in
            try room.recordEveryone(into: on ? folder : nil, recorder: recorder)
        }
    }

    /// `RecordingStarted` and `RecordingFinished`, to every user of the call, about the
    /// recorded user: its files and codecs, then (once the files are closed) the media
    /// file's duration, every file's bytes, and why it stopped early when it failed.
    func tellRecording(_ event: RoomEvent, in id: String, call: Call) {
        let data: [String: JSONValue]
        let name: String
        switch event {
        case .recordingStarted(let user, let files, let codecs):
            name = "RecordingStarted"
            data = [
                "callId": .string(id), "userId": .string(user), "files": .array(files.map { .string($0) }),
                "codecs": .array(codecs.map { .string($0) }),
            ]
        case .recordingFinished(let user, let summary):
            name = "RecordingFinished"
            var finished: [String: JSONValue] = [
                "callId": .string(id), "userId": .string(user), "files": .array(summary.files.map { .string($0) }),
                "codecs": .array(summary.codecs.map { .string($0) }), "durationSeconds": .number(summary.seconds),
                "bytes": JSONValue(summary.bytes),
            ]
            if let path = summary.path { finished["file"] = .string(path) }
            if let failure = summary.failure { finished["failure"] = .string(failure) }
            data = finished
        default:
            return
        }
        for member in call.users.keys.sorted() { self.send(name, to: member, data) }
    }
}
