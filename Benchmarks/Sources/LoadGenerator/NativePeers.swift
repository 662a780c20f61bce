import Signaling

/// One participant's WebSocket of SwiftSFU's native protocol (`/ws`, docs/native-protocol.md).
/// Closing it leaves the room.
func nativeSocket() -> JSONWebSocket {
    JSONWebSocket(correlation: "id", isReply: { _ in true }, isError: { $0["type"]?.stringValue == "error" })
}

/// A server `trickle` event for `target` (`publish` or `subscribe`), to the peer's agent.
func nativeTrickle(_ fleet: Fleet, peer id: Int, target: String) -> @Sendable (JSONValue) -> Void {
    { event in
        guard event["type"]?.stringValue == "trickle", event["target"]?.stringValue == target else { return }
        PeerNegotiation.addCandidate(event["candidate"] ?? .null, to: id, in: fleet)
    }
}

/// A publisher through the native protocol: joins (creating the room), publishes.
struct NativePublisher {
    let feed: Int
    let room: String

    /// Returns the participant's open socket and its two track ids.
    func connect(url: String, _ fleet: Fleet, timeout: Duration) async throws -> (JSONWebSocket, [String]) {
        let id = try await fleet.onWorker { try $0.makePeer(controlling: true) }
        let socket = nativeSocket()
        try await socket.open(url: url, subprotocol: nil, events: nativeTrickle(fleet, peer: id, target: "publish"))
        let joined = try await socket.request([
            "type": "join", "room": .string(self.room), "displayName": .string("load-\(self.feed)"),
        ])
        guard let participant = joined["participantId"]?.stringValue else {
            throw JSONWebSocket.Failure.refused(joined.text)
        }
        try await PeerNegotiation.publish(feed: self.feed, peer: id, fleet: fleet, timeout: timeout) { offer in
            let published = try await socket.request(["type": "publish", "sdp": .string(offer)])
            guard let sdp = published["sdp"]?.stringValue else { throw JSONWebSocket.Failure.refused(published.text) }
            return sdp
        }
        return (socket, ["\(participant):0", "\(participant):1"])
    }
}

/// A subscriber of one publisher's tracks through the native protocol: its own
/// participant, receiving only; with simulcast, asking for one encoding (`layers`).
struct NativeSubscriber {
    let room: String
    let tracks: [String]
    let layer: Int?

    func connect(url: String, _ fleet: Fleet, index: Int, timeout: Duration) async throws -> JSONWebSocket {
        let id = try await fleet.onWorker { try $0.makePeer(controlling: false) }
        let socket = nativeSocket()
        try await socket.open(url: url, subprotocol: nil, events: nativeTrickle(fleet, peer: id, target: "subscribe"))
        _ = try await socket.request([
            "type": "join", "room": .string(self.room), "displayName": .string("sub-\(index)"),
        ])
        let offered = try await socket.request(["type": "subscribe", "tracks": .array(self.tracks.map { .string($0) })])
        guard let offer = offered["sdp"]?.stringValue else { throw JSONWebSocket.Failure.refused(offered.text) }
        try await PeerNegotiation.subscribe(offer: offer, peer: id, fleet: fleet, timeout: timeout) { answer in
            _ = try await socket.request(["type": "answer", "sdp": .string(answer)])
        }
        if let layer {
            _ = try await socket.request(["type": "layers", "spatialLayer": .number(Double(layer))])
        }
        return socket
    }
}
