import RTP
import SDP
import Signaling

/// A server's `trickle` event on a handle, handed to the peer's ICE agent.
func trickleHandler(_ fleet: Fleet, peer: @escaping @Sendable () -> Int?) -> @Sendable (JSONValue) -> Void {
    { event in
        guard event["janus"]?.stringValue == "trickle", let id = peer(), let candidate = event["candidate"] else {
            return
        }
        if candidate["completed"]?.boolValue == true {
            fleet.addRemoteCandidate(id, "")
        } else if let text = candidate["candidate"]?.stringValue {
            fleet.addRemoteCandidate(id, text.hasPrefix("candidate:") ? text : "candidate:" + text)
        }
    }
}

/// A publisher: joins a room, offers audio (Opus) and video (VP8), connects, sends.
struct Publisher {
    let feed: Int
    let room: Int

    /// Returns the feed id the server gave it.
    func connect(_ janus: JanusSignaling, _ fleet: Fleet, timeout: Duration) async throws -> Int {
        let id = try await fleet.onWorker { try $0.makePeer(controlling: true) }
        let handle = try await janus.attach(events: trickleHandler(fleet) { id })
        let joined = try await janus.message(
            handle,
            [
                "request": "join", "room": .number(Double(self.room)), "ptype": "publisher",
                "display": .string("load-\(self.feed)"),
            ]
        )
        guard let feedID = joined.data["id"]?.intValue else { throw JanusSignaling.Failure.refused(joined.data.text) }
        await fleet.gathered(id)
        let local = try await fleet.localDescription(id)
        let settings = fleet.settings
        let audioSSRC = UInt32(truncatingIfNeeded: 0x1000_0000 &+ self.feed * 2)
        let videoSSRC = audioSSRC &+ 1
        let offer = SubscriberOffer(tracks: [
            .init(
                mid: "0",
                kind: "audio",
                codecs: [
                    .init(
                        payloadType: settings.audioPayloadType,
                        name: "opus",
                        clockRate: 48_000,
                        channels: 2,
                        parameters: "minptime=10;useinbandfec=1"
                    )
                ],
                extensions: [],
                ssrc: audioSSRC,
                cname: "load-\(self.feed)",
                streamID: "load-\(self.feed)",
                trackID: "audio-\(self.feed)"
            ),
            .init(
                mid: "1",
                kind: "video",
                codecs: [
                    .init(
                        payloadType: settings.videoPayloadType,
                        name: "VP8",
                        clockRate: 90_000,
                        feedback: [
                            .init(payloadType: settings.videoPayloadType, type: "nack"),
                            .init(payloadType: settings.videoPayloadType, type: "nack", parameter: "pli"),
                            .init(payloadType: settings.videoPayloadType, type: "ccm", parameter: "fir"),
                        ]
                    )
                ],
                extensions: [],
                ssrc: videoSSRC,
                cname: "load-\(self.feed)",
                streamID: "load-\(self.feed)",
                trackID: "video-\(self.feed)"
            ),
        ])
        let description = offer.offer(local: local, sessionID: "\(1000 + self.feed)", version: 1)
        let configured = try await janus.message(
            handle,
            ["request": "configure", "audio": true, "video": true],
            jsep: ["type": "offer", "sdp": .string(description.sdp)]
        )
        guard let sdp = configured.jsep?["sdp"]?.stringValue else {
            throw JanusSignaling.Failure.refused("configure gave no answer: \(configured.data.text)")
        }
        let accepted = try offer.accept(try SessionDescription(parsing: sdp))
        fleet.startMedia(id, feed: self.feed, audioSSRC: audioSSRC, videoSSRC: videoSSRC)
        try await fleet.connect(id, to: accepted.remote, timeout: timeout)
        return feedID
    }
}

/// A subscriber of one feed: joins, answers the server's offer receive-only, starts.
struct Subscriber {
    let room: Int
    let feed: Int

    func connect(_ janus: JanusSignaling, _ fleet: Fleet, timeout: Duration) async throws {
        let id = try await fleet.onWorker { try $0.makePeer(controlling: false) }
        let handle = try await janus.attach(events: trickleHandler(fleet) { id })
        let joined = try await janus.message(
            handle,
            [
                "request": "join", "room": .number(Double(self.room)), "ptype": "subscriber",
                "streams": [["feed": .number(Double(self.feed))]],
            ]
        )
        guard let sdp = joined.jsep?["sdp"]?.stringValue else {
            throw JanusSignaling.Failure.refused("join gave no offer: \(joined.data.text)")
        }
        let offer = try SessionDescription(parsing: sdp)
        await fleet.gathered(id)
        let local = try await fleet.localDescription(id)
        let answered = try OfferAnswer(localDirection: .recvonly, codecLimit: nil).answer(
            offer,
            local: local,
            sessionID: "\(2000 + id)"
        )
        _ = try await janus.message(
            handle,
            ["request": "start"],
            jsep: ["type": "answer", "sdp": .string(answered.answer.sdp)]
        )
        try await fleet.connect(id, to: answered.remote, timeout: timeout)
    }
}
