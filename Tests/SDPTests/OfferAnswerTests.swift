import SDP
import Testing

@Suite struct OfferAnswerTests {
    static let local = LocalTransportDescription(
        iceUfrag: "sfu1",
        icePwd: "0123456789abcdefghijkl",
        fingerprint: Fingerprint(
            hashFunction: "sha-256",
            value: Array(repeating: "AB", count: 32).joined(separator: ":")
        ),
        candidates: [
            Candidate(
                foundation: "1",
                component: 1,
                transport: "udp",
                priority: 2_130_706_431,
                address: "127.0.0.1",
                port: 40000,
                type: "host"
            )
        ],
        isGatheringComplete: true
    )

    func answer(_ fixture: String, codecLimit: Int? = 1) throws -> OfferAnswer.Result {
        let offer = try SessionDescription(parsing: Fixtures.text(fixture))
        return try OfferAnswer(codecLimit: codecLimit).answer(offer, local: Self.local, sessionID: "42")
    }

    @Test func answersChromiumPublisherAsDTLSServerWithOneCodecEach() throws {
        let result = try self.answer("chromium-156-offer-audio-video.sdp")
        let answer = try SessionDescription(parsing: result.answer.sdp)  // what goes on the wire parses
        #expect(answer.bundleMids == ["0", "1"])
        #expect(answer.media.count == 2)
        for section in answer.media {
            #expect(section.setup == .passive)
            #expect(section.rtcpMux && section.rtcpReducedSize)
            #expect(section.direction == .recvonly)
            #expect(section.iceUfrag == "sfu1" && section.fingerprints.count == 1)
            #expect(section.candidates.count == 1 && section.endOfCandidates)
        }
        let audio = result.media[0]
        #expect(audio.mediaCodecs.map(\.name) == ["opus"])
        #expect(audio.mediaCodecs[0].payloadType == 111, "keeps the offerer's payload type")
        #expect(audio.mediaCodecs[0].feedback.map(\.type) == ["transport-cc"])
        #expect(audio.extensions.map(\.id).sorted() == [1, 2, 3, 4])
        let video = result.media[1]
        #expect(video.mediaCodecs.map(\.name) == ["VP8"])
        let vp8 = video.mediaCodecs[0]
        #expect(video.rtxPayloadType(for: vp8.payloadType) != nil, "RTX stays paired with its codec")
        #expect(
            Set(vp8.feedback.map { $0.sdpValue }).isSuperset(of: [
                "\(vp8.payloadType) nack pli", "\(vp8.payloadType) ccm fir",
            ])
        )
        #expect(
            !video.extensions.contains { $0.uri.contains("video-content-type") || $0.uri.contains("toffset") },
            "extensions the server does not know are dropped"
        )
        #expect(
            video.extensions.contains { $0.uri.contains("video-timing") },
            "extensions passed through to subscribers are kept"
        )
        #expect(video.remoteSSRCs.count == 2)
        #expect(answer.media[1].payloadTypes == video.codecs.map(\.payloadType))
        #expect(result.remote.setup == .actpass && result.remote.fingerprints.count == 1)
    }

    @Test func intersectsEveryCodecWithoutALimit() throws {
        let result = try self.answer("chromium-156-offer-audio-video.sdp", codecLimit: nil)
        let names = Set(result.media[1].mediaCodecs.map(\.name))
        #expect(names == ["VP8", "VP9", "H264", "AV1"])
        for codec in result.media[1].mediaCodecs where codec.name == "H264" {
            #expect(codec.parameterDictionary["packetization-mode"] == "1")
        }
        for codec in result.media[1].mediaCodecs where codec.name == "VP9" {
            #expect((codec.parameterDictionary["profile-id"] ?? "0") == "0")
        }
        for rtx in result.media[1].codecs where rtx.name == "rtx" {
            #expect(result.media[1].mediaCodecs.contains { $0.payloadType == rtx.associatedPayloadType })
        }
        #expect(!result.media[0].mediaCodecs.contains { $0.name == "G722" || $0.name == "telephone-event" })
    }

    @Test func answersSimulcastWithRecvRIDs() throws {
        let result = try self.answer("chromium-156-offer-simulcast-3rid.sdp")
        let video = try #require(result.media.first { $0.kind == "video" })
        #expect(video.remoteRIDs == ["q", "h", "f"])
        let section = try #require(result.answer.media.first { $0.kind == "video" })
        #expect(section.rids.map(\.id) == ["q", "h", "f"] && section.rids.allSatisfy { $0.direction == .recv })
        #expect(section.simulcast?.receive.map { $0.map(\.rid) } == [["q"], ["h"], ["f"]])
    }

    @Test func rejectsTheDataChannelWithPortZero() throws {
        let result = try self.answer("chromium-156-offer-audio-video-datachannel.sdp")
        let application = try #require(result.answer.media.last)
        #expect(application.kind == "application" && application.port == 0 && application.mid == "2")
        #expect(result.answer.bundleMids == ["0", "1"])
        #expect(result.media.count == 2)
    }

    @Test func answersAiortcOffer() throws {
        let result = try self.answer("aiortc-1.16-offer-audio-video.sdp")
        #expect(result.media.map(\.kind) == ["audio", "video"])
        #expect(
            result.media[0].mediaCodecs.first?.name == "opus" && result.media[0].mediaCodecs.first?.payloadType == 96
        )
        #expect(result.media[1].mediaCodecs.first?.name == "VP8")
        #expect(result.remote.fingerprints.count == 3)
    }

    /// Firefox with `max-bundle` offers every section but the first with port 0 and
    /// `a=bundle-only` (RFC 8843 §6): those are wanted, not rejected.
    @Test func acceptsFirefoxBundleOnlySections() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("firefox-153-offer-audio-video-max-bundle.sdp"))
        #expect(offer.media[1].port == 0 && offer.media[1].isBundleOnly && !offer.media[1].isDisabled)
        let result = try self.answer("firefox-153-offer-audio-video-max-bundle.sdp")
        #expect(result.media.map(\.kind) == ["audio", "video"])
        #expect(result.media[1].mediaCodecs.first?.name == "VP8")
        #expect(result.media[1].rtxPayloadType(for: 120) == 124)
        #expect(result.answer.media.allSatisfy { $0.port == 9 })
        #expect(result.answer.bundleMids == ["0", "1"])
        #expect(result.remote.candidates.contains { $0.address == "127.0.0.1" })
    }

    /// Janus puts the fingerprint at session level and offers as a sender: a receiving
    /// client's answer takes the session-level fingerprint and flips to recvonly.
    @Test func answersJanusServerOfferAsAReceiver() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("janus-1.1.2-offer-streaming.sdp"))
        let result = try OfferAnswer(localDirection: .recvonly).answer(offer, local: Self.local, sessionID: "3")
        #expect(result.media.map(\.mid) == ["a", "v"])
        #expect(result.media.allSatisfy { $0.direction == .recvonly })
        #expect(result.remote.fingerprints.first?.hashFunction == "sha-256")
        #expect(result.remote.candidates.first?.port == 57402)
        #expect(result.remote.isGatheringComplete)
        #expect(result.media[1].rtxPayloadType(for: 100) == 101)
        // Media SSRC first, then its RTX SSRC, as the FID group orders them (not sorted:
        // the first is the one the track is bound to).
        #expect(result.media[1].remoteSSRCs == [3_161_191_547, 176_172_277])
        #expect(result.answer.bundleMids == ["a", "v"])
    }

    @Test func recvonlyOfferGetsSendonlyWhenTheServerSends() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-recvonly.sdp"))
        let result = try OfferAnswer(localDirection: .sendrecv).answer(offer, local: Self.local, sessionID: "1")
        #expect(result.media.allSatisfy { $0.direction == .sendonly })
    }

    @Test func failsWithoutICECredentialsOrFingerprint() throws {
        let text = try Fixtures.text("chromium-156-offer-audio-video.sdp")
        let noFingerprint =
            text.split(separator: "\r\n").filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n") + "\r\n"
        #expect(throws: SDPError.negotiationFailed(reason: "missing a=fingerprint")) {
            try OfferAnswer().answer(SessionDescription(parsing: noFingerprint), local: Self.local, sessionID: "1")
        }
        let noPwd =
            text.split(separator: "\r\n").filter { !$0.hasPrefix("a=ice-pwd") }.joined(separator: "\r\n") + "\r\n"
        #expect(throws: SDPError.negotiationFailed(reason: "missing a=ice-ufrag or a=ice-pwd")) {
            try OfferAnswer().answer(SessionDescription(parsing: noPwd), local: Self.local, sessionID: "1")
        }
    }

    @Test func failsWhenNoCodecIsShared() throws {
        let text =
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
            + "a=mid:0\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=ice-ufrag:x\r\na=ice-pwd:yyyyyyyyyyyyyyyyyyyyyy\r\n"
            + "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\n"
        #expect(throws: SDPError.negotiationFailed(reason: "no media section has a common codec")) {
            try OfferAnswer().answer(SessionDescription(parsing: text), local: Self.local, sessionID: "1")
        }
    }
}
