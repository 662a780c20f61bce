import Foundation
import Recording
public import SFU
import Synchronization

/// Room and participant events POSTed as JSON to the configured URLs (docs/webhooks.md)
/// through `HTTPDelivery`: in order per URL, retried with back-off, signed when a secret
/// is set, never in the media path.
///
/// Events: `room_started`, `room_finished`, `participant_joined`, `participant_left`,
/// `track_published`, `track_unpublished`, `recording_started`, `recording_finished`. The RTC face's receiving connections
/// (participants named `<user>><sender>`) are connections, not participants, and are
/// left out.
public final class Webhooks: Sendable {
    public let urls: [String]
    let delivery: HTTPDelivery
    private let sequence = Atomic<UInt64>(1)
    /// Tells one run's events from another's (their sequence numbers start again).
    private let runID = String(UInt64.random(in: 1...UInt64.max), radix: 36)

    public init(server: MediaServer, urls: [String], delivery: HTTPDelivery) {
        self.urls = urls
        self.delivery = delivery
        guard !urls.isEmpty else { return }
        server.observe { room, event in self.handle(room, event) }
        // Held by the server's observers: it lives as long as the server.
        server.observeRooms { room, started in
            self.post(started ? "room_started" : "room_finished", room: room, [:])
        }
    }

    func handle(_ room: String, _ event: RoomEvent) {
        switch event {
        case .participantJoined(let id, let name) where RTCCalls.receiver(of: id) == nil:
            self.post("participant_joined", room: room, ["participantId": .string(id), "displayName": JSONValue(name)])
        case .participantLeft(let id) where RTCCalls.receiver(of: id) == nil:
            self.post("participant_left", room: room, ["participantId": .string(id)])
        case .trackPublished(let track):
            self.post("track_published", room: room, Self.fields(track))
        case .trackUnpublished(let track):
            self.post("track_unpublished", room: room, Self.fields(track))
        case .recordingStarted(let id, let files, let codecs):
            var fields = Self.recordingFields(files: files, codecs: codecs)
            fields["participantId"] = .string(id)
            self.post("recording_started", room: room, fields)
        case .recordingFinished(let id, let summary):
            var fields = Self.recordingFields(summary)
            fields["participantId"] = .string(id)
            self.post("recording_finished", room: room, fields)
        default:
            break
        }
    }

    /// A recording that started: its media file (the first that is not Janus's `.mjr`),
    /// every file, the codecs.
    static func recordingFields(files: [String], codecs: [String]) -> [String: JSONValue] {
        [
            "file": JSONValue(files.first { !$0.hasSuffix(".mjr") }), "files": .array(files.map { .string($0) }),
            "codecs": .array(codecs.map { .string($0) }),
        ]
    }

    /// A recording that finished: its files, the media file's duration, every file's
    /// bytes, the codecs, and why it stopped early when it failed.
    static func recordingFields(_ summary: Recorder.Summary) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "file": JSONValue(summary.path), "files": .array(summary.files.map { .string($0) }),
            "durationSeconds": .number((summary.seconds * 1000).rounded() / 1000),
            "bytes": JSONValue(summary.bytes), "codecs": .array(summary.codecs.map { .string($0) }),
        ]
        if let failure = summary.failure { fields["failure"] = .string(failure) }
        return fields
    }

    static func fields(_ track: TrackInfo) -> [String: JSONValue] {
        [
            "participantId": .string(track.participantID),
            "track": [
                "id": .string(track.id), "kind": .string(track.kind), "codec": .string(track.codec),
                "mid": .string(track.mid),
            ],
        ]
    }

    func post(_ event: String, room: String, _ fields: [String: JSONValue]) {
        var body = fields
        let number = self.sequence.wrappingAdd(1, ordering: .relaxed).oldValue
        body["id"] = .string("\(self.runID)-\(number)")
        body["event"] = .string(event)
        body["room"] = .string(room)
        body["createdAt"] = .number((Date().timeIntervalSince1970 * 1000).rounded() / 1000)
        let text = JSONValue.object(body).text
        for url in self.urls { self.delivery.post(text, to: url, kind: "webhook") }
    }
}
