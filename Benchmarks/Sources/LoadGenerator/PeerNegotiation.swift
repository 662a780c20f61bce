import RTP
import SDP
import Signaling

/// The offer/answer of the generator's peers, whatever the signaling: a publisher offers
/// Opus and VP8 send-only (simulcast in an `a=ssrc-group:SIM`, as Chromium's SDP munging
/// and Firefox's older offers send it), a subscriber answers the server's offer
/// receive-only. Each
/// waits for ICE and DTLS; candidates travel in the SDP (gathering on one host address
/// takes milliseconds), the server's later ones as trickle events.
enum PeerNegotiation {
    /// Offers, hands the offer to `exchange`, applies its answer, starts the media and
    /// connects.
    static func publish(
        feed: Int,
        peer id: Int,
        fleet: Fleet,
        timeout: Duration,
        exchange: (String) async throws -> String
    ) async throws {
        await fleet.gathered(id)
        let local = try await fleet.localDescription(id)
        let settings = fleet.settings
        let audioSSRC = UInt32(truncatingIfNeeded: 0x1000_0000 &+ feed * 4)
        let videoSSRCs = (0..<settings.simulcastLayers).map { audioSSRC &+ 1 &+ UInt32($0) }
        let video = settings.videoPayloadType
        let extensions =
            settings.transportWideSequenceID.map {
                [ExtensionMap(id: $0, uri: RTPHeaderExtensionURI.transportWideCC)]
            } ?? []
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
                extensions: extensions,
                ssrc: audioSSRC,
                cname: "load-\(feed)",
                streamID: "load-\(feed)",
                trackID: "audio-\(feed)"
            ),
            .init(
                mid: "1",
                kind: "video",
                codecs: [
                    .init(
                        payloadType: video,
                        name: "VP8",
                        clockRate: 90_000,
                        feedback: [
                            .init(payloadType: video, type: "nack"),
                            .init(payloadType: video, type: "nack", parameter: "pli"),
                            .init(payloadType: video, type: "ccm", parameter: "fir"),
                        ]
                    )
                ],
                extensions: extensions,
                ssrc: videoSSRCs[0],
                cname: "load-\(feed)",
                streamID: "load-\(feed)",
                trackID: "video-\(feed)"
            ),
        ])
        var description = offer.offer(local: local, sessionID: "\(1000 + feed)", version: 1)
        if videoSSRCs.count > 1 {
            description.media[1].attributes.append(SSRCGroup(semantics: "SIM", ssrcs: videoSSRCs).attribute)
            for ssrc in videoSSRCs.dropFirst() {
                description.media[1].attributes += [
                    SSRCAttribute(ssrc: ssrc, name: "cname", value: "load-\(feed)").attribute,
                    SSRCAttribute(ssrc: ssrc, name: "msid", value: "load-\(feed) video-\(feed)").attribute,
                ]
            }
        }
        let answer = try await exchange(description.sdp)
        let accepted = try offer.accept(try SessionDescription(parsing: answer))
        fleet.startMedia(id, feed: feed, audioSSRC: audioSSRC, videoSSRCs: videoSSRCs)
        try await fleet.connect(id, to: accepted.remote, timeout: timeout)
    }

    /// Answers `offer` receive-only, hands the answer to `send`, connects. With simulcast
    /// the answer leaves out transport-wide congestion control: the peer sends no
    /// feedback, so the server has no estimate of its link and sends the layer asked for,
    /// and every step measures the same layers on every server.
    static func subscribe(
        offer sdp: String,
        peer id: Int,
        fleet: Fleet,
        timeout: Duration,
        send: (String) async throws -> Void
    ) async throws {
        let offer = try SessionDescription(parsing: sdp)
        await fleet.gathered(id)
        let local = try await fleet.localDescription(id)
        let answered = try OfferAnswer(localDirection: .recvonly, codecLimit: nil).answer(
            offer,
            local: local,
            sessionID: "\(2000 + id)"
        )
        var answer = answered.answer
        if fleet.settings.simulcastLayers > 1 {
            for index in answer.media.indices {
                answer.media[index].attributes.removeAll {
                    ($0.name == "extmap" && $0.value?.contains(RTPHeaderExtensionURI.transportWideCC) == true)
                        || ($0.name == "rtcp-fb" && $0.value?.contains("transport-cc") == true)
                }
            }
        }
        try await send(answer.sdp)
        try await fleet.connect(id, to: answered.remote, timeout: timeout)
    }

    /// A server candidate (`{"candidate": …}` or `{"completed": true}` in the Janus API,
    /// the candidate object or `null` in the native protocol) for the peer's ICE agent.
    static func addCandidate(_ candidate: JSONValue?, to id: Int, in fleet: Fleet) {
        guard let candidate else { return }
        if candidate.isNull || candidate["completed"]?.boolValue == true {
            fleet.addRemoteCandidate(id, "")
        } else if let text = candidate["candidate"]?.stringValue ?? candidate.stringValue {
            fleet.addRemoteCandidate(id, text.isEmpty ? "" : text.hasPrefix("candidate:") ? text : "candidate:" + text)
        }
    }
}
