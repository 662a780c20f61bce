import Recording
import SFU

/// How room events read on the native protocol, and who receives each.
enum NativeEvents {
    enum Audience {
        case everyone
        case everyoneBut(String)
        case only(String)

        func includes(_ participantID: String) -> Bool {
            switch self {
            case .everyone: true
            case .everyoneBut(let excluded): participantID != excluded
            case .only(let target): participantID == target
            }
        }
    }

    static func message(for event: RoomEvent) -> (JSONValue, Audience) {
        switch event {
        case .participantJoined(let id, let displayName):
            return (
                ["type": "participantJoined", "participant": Self.participant(id, displayName)],
                .everyoneBut(id)
            )
        case .participantLeft(let id):
            return (["type": "participantLeft", "participantId": .string(id)], .everyoneBut(id))
        case .trackPublished(let track):
            return (["type": "trackPublished", "track": Self.track(track)], .everyoneBut(track.participantID))
        case .trackUnpublished(let track):
            return (["type": "trackUnpublished", "track": Self.track(track)], .everyoneBut(track.participantID))
        case .trackMuted(let track):
            return (["type": "trackMuted", "track": Self.track(track)], .everyone)
        case .trackReceiving(let track, let isReceiving):
            return (
                ["type": "trackReceiving", "track": Self.track(track), "receiving": .bool(isReceiving)],
                .only(track.participantID)
            )
        case .talking(let id, let trackID, let isTalking, let level):
            return (
                [
                    "type": "talking", "participantId": .string(id), "trackId": .string(trackID),
                    "talking": .bool(isTalking), "level": JSONValue(level),
                ],
                .everyone
            )
        case .transportStateChanged(let id, let role, let state):
            return (
                ["type": "connectionState", "target": .string(role.rawValue), "state": .string("\(state)")],
                .only(id)
            )
        case .recordingStarted(let id, _, _):
            // Everyone in the room is told that a participant is being recorded.
            return (["type": "recording", "participantId": .string(id), "recording": true], .everyone)
        case .recordingFinished(let id, let summary):
            var event: [String: JSONValue] = ["type": "recording", "participantId": .string(id), "recording": false]
            if let failure = summary.failure { event["failure"] = .string(failure) }
            return (.object(event), .everyone)
        case .layerChanged(let id, let mid, let spatial, let temporal, let paused, _):
            var event: [String: JSONValue] = ["type": "layerChanged", "mid": .string(mid)]
            if let spatial { event["spatialLayer"] = JSONValue(spatial) }
            if let temporal { event["temporalLayer"] = JSONValue(temporal) }
            if let paused { event["paused"] = .bool(paused) }
            return (.object(event), .only(id))
        case .transportSilent(let id, let role):
            // The client restarts ICE on that connection (`restart`, or a publish offer
            // with new credentials); the client module does so itself.
            return (["type": "connectionSilent", "target": .string(role.rawValue)], .only(id))
        case .trackRefused(let id, let mid, let track):
            let reason = "the answer rejected this section: the browser cannot receive \(track.codec)"
            return (
                ["type": "trackRefused", "mid": .string(mid), "track": Self.track(track), "reason": .string(reason)],
                .only(id)
            )
        case .localCandidate(let id, let role, let candidate):
            let body: JSONValue =
                candidate.isEmpty ? .null : ["candidate": .string(candidate), "sdpMLineIndex": 0]
            return (["type": "trickle", "target": .string(role.rawValue), "candidate": body], .only(id))
        }
    }

    static func participant(_ id: String, _ displayName: String?) -> JSONValue {
        ["id": .string(id), "displayName": JSONValue(displayName)]
    }

    static func track(_ track: TrackInfo) -> JSONValue {
        [
            "id": .string(track.id), "participantId": .string(track.participantID), "kind": .string(track.kind),
            "codec": .string(track.codec), "mid": .string(track.mid), "muted": .bool(track.isMuted),
        ]
    }
}
