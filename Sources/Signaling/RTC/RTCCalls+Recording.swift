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
        let (name, user, fields): (String, String, [String: JSONValue])
        switch event {
        case .recordingStarted(let participant, let files, let codecs):
            (name, user, fields) = (
                "RecordingStarted", participant, Webhooks.recordingFields(files: files, codecs: codecs)
            )
        case .recordingFinished(let participant, let summary):
            (name, user, fields) = ("RecordingFinished", participant, Webhooks.recordingFields(summary))
        default:
            return
        }
        var data = fields
        data["callId"] = .string(id)
        data["userId"] = .string(user)
        for member in call.users.keys.sorted() { self.send(name, to: member, data) }
    }
}
