import Signaling

/// A new peer and its VideoRoom handle, the server's trickled candidates going to it.
func janusPeer(_ janus: JanusSignaling, _ fleet: Fleet, controlling: Bool) async throws -> (peer: Int, handle: UInt64) {
    let id = try await fleet.onWorker { try $0.makePeer(controlling: controlling) }
    let handle = try await janus.attach { event in
        if event["janus"]?.stringValue == "trickle" {
            PeerNegotiation.addCandidate(event["candidate"], to: id, in: fleet)
        }
    }
    return (id, handle)
}

/// A publisher through the Janus API: joins a room, configures with its offer.
struct JanusPublisher {
    let feed: Int
    let room: Int

    /// Returns the feed id the server gave it.
    func connect(_ janus: JanusSignaling, _ fleet: Fleet, timeout: Duration) async throws -> Int {
        let (id, handle) = try await janusPeer(janus, fleet, controlling: true)
        let joined = try await janus.message(
            handle,
            [
                "request": "join", "room": .number(Double(self.room)), "ptype": "publisher",
                "display": .string("load-\(self.feed)"),
            ]
        )
        guard let feedID = joined.data["id"]?.intValue else { throw JanusSignaling.Failure.refused(joined.data.text) }
        try await PeerNegotiation.publish(feed: self.feed, peer: id, fleet: fleet, timeout: timeout) { offer in
            let configured = try await janus.message(
                handle,
                ["request": "configure", "audio": true, "video": true],
                jsep: ["type": "offer", "sdp": .string(offer)]
            )
            guard let sdp = configured.jsep?["sdp"]?.stringValue else {
                throw JanusSignaling.Failure.refused("configure gave no answer: \(configured.data.text)")
            }
            return sdp
        }
        return feedID
    }
}

/// A subscriber through the Janus API of one feed, or of several on one connection (a
/// multistream subscriber): joins with `streams` (and the simulcast `substream` it
/// wants), starts with its answer.
struct JanusSubscriber {
    let room: Int
    let feeds: [Int]
    let layer: Int?

    func connect(_ janus: JanusSignaling, _ fleet: Fleet, timeout: Duration) async throws {
        let (id, handle) = try await janusPeer(janus, fleet, controlling: false)
        let joined = try await janus.message(
            handle,
            [
                "request": "join", "room": .number(Double(self.room)), "ptype": "subscriber",
                "streams": .array(self.feeds.map(self.stream)),
            ]
        )
        guard let offer = joined.jsep?["sdp"]?.stringValue else {
            throw JanusSignaling.Failure.refused("join gave no offer: \(joined.data.text)")
        }
        try await PeerNegotiation.subscribe(offer: offer, peer: id, fleet: fleet, timeout: timeout) { answer in
            _ = try await janus.message(handle, ["request": "start"], jsep: ["type": "answer", "sdp": .string(answer)])
        }
    }

    private func stream(_ feed: Int) -> JSONValue {
        var stream: [String: JSONValue] = ["feed": .number(Double(feed))]
        if let layer { stream["substream"] = .number(Double(layer)) }
        return .object(stream)
    }
}
