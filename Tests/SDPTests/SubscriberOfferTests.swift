import Foundation
import SDP
import TestSupport
import Testing

@Suite struct SubscriberOfferTests {
    static func tracks() -> [SubscriberOffer.Track] {
        let audio = CodecDescription(
            payloadType: 111,
            name: "opus",
            clockRate: 48000,
            channels: 2,
            parameters: "minptime=10;useinbandfec=1",
            feedback: [RTCPFeedback(payloadType: 111, type: "transport-cc")]
        )
        let vp8 = CodecDescription(
            payloadType: 96,
            name: "VP8",
            clockRate: 90000,
            feedback: [
                RTCPFeedback(payloadType: 96, type: "nack"),
                RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli"),
                RTCPFeedback(payloadType: 96, type: "ccm", parameter: "fir"),
            ]
        )
        let rtx = CodecDescription(payloadType: 97, name: "rtx", clockRate: 90000, parameters: "apt=96")
        let mid = ExtensionMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:sdes:mid")
        return [
            .init(
                mid: "0",
                kind: "audio",
                codecs: [audio],
                extensions: [mid],
                ssrc: 1111,
                cname: "sfu",
                streamID: "alice",
                trackID: "alice-audio"
            ),
            .init(
                mid: "1",
                kind: "video",
                codecs: [vp8, rtx],
                extensions: [mid],
                ssrc: 2222,
                rtxSSRC: 3333,
                cname: "sfu",
                streamID: "alice",
                trackID: "alice-video"
            ),
        ]
    }

    /// A track unsubscribed and then subscribed again is in two sections, the old one
    /// inactive: only the section that sends names it (a browser refuses an offer with
    /// one msid twice: "Duplicate a=msid lines detected"). An inactive section whose
    /// track is not sent elsewhere still names it.
    @Test func anInactiveSectionNamesNoStream() throws {
        var tracks = Self.tracks()
        tracks[1].direction = .inactive
        var again = Self.tracks()[1]
        again.mid = "2"
        again.ssrc = 4444
        again.rtxSSRC = 5555
        tracks.append(again)
        let sdp = SubscriberOffer(tracks: tracks).offer(local: OfferAnswerTests.local, sessionID: "7", version: 3).sdp
        #expect(sdp.components(separatedBy: "a=msid:alice alice-video\r\n").count == 2)
        #expect(!sdp.contains("a=ssrc:2222") && !sdp.contains("a=ssrc:3333"))
        #expect(sdp.contains("a=ssrc:4444 msid:alice alice-video"))
        let parsed = try SessionDescription(parsing: sdp)
        #expect(parsed.media.map(\.mid) == ["0", "1", "2"])
        tracks.removeLast()
        let ended = SubscriberOffer(tracks: tracks).offer(local: OfferAnswerTests.local, sessionID: "7", version: 4).sdp
        #expect(ended.contains("a=msid:alice alice-video\r\n") && ended.contains("a=ssrc:2222 msid:alice alice-video"))
    }

    @Test func offerDescribesEachTrackWithItsSSRCs() throws {
        let offer = SubscriberOffer(tracks: Self.tracks()).offer(
            local: OfferAnswerTests.local,
            sessionID: "7",
            version: 2
        )
        let parsed = try SessionDescription(parsing: offer.sdp)
        #expect(parsed == offer)
        #expect(parsed.bundleMids == ["0", "1"])
        #expect(parsed.media.allSatisfy { $0.setup == .actpass && $0.direction == .sendonly && $0.rtcpMux })
        let video = parsed.media[1]
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [2222, 3333])])
        #expect(video.ssrcs.filter { $0.name == "cname" }.map(\.ssrc) == [2222, 3333])
        #expect(video.msid == MediaStreamID(streamID: "alice", trackID: "alice-video"))
        #expect(video.codecs.map(\.name) == ["VP8", "rtx"])
    }

    /// A browser-style answer, as Chromium writes one for a sendonly offer.
    func chromiumStyleAnswer(rejectingVideo: Bool = false, payloadTypes: String = "96 97") -> String {
        let head = "v=0\r\no=- 99 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
        let transport =
            "a=ice-ufrag:AbCd\r\na=ice-pwd:AbCdEfGhIjKlMnOpQrStUvWx\r\na=ice-options:trickle\r\n"
            + "a=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0\r\n"
            + "a=setup:active\r\n"
        let audio =
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n" + transport
            + "a=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
            + "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
            + "a=ssrc:5555 cname:subscriber\r\n"
        let video =
            rejectingVideo
            ? "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n"
            : "m=video 9 UDP/TLS/RTP/SAVPF \(payloadTypes)\r\nc=IN IP4 0.0.0.0\r\n" + transport
                + "a=mid:1\r\na=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n"
                + "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
        return head + audio + video
    }

    @Test func acceptsABrowserAnswer() throws {
        let offer = SubscriberOffer(tracks: Self.tracks())
        let accepted = try offer.accept(SessionDescription(parsing: self.chromiumStyleAnswer()))
        #expect(accepted.media.map(\.mid) == ["0", "1"])
        #expect(accepted.media.allSatisfy { $0.direction == .sendonly })
        #expect(accepted.media[1].rtxPayloadType(for: 96) == 97)
        #expect(accepted.media[0].extensions.map(\.uri) == ["urn:ietf:params:rtp-hdrext:sdes:mid"])
        #expect(accepted.media[1].extensions.isEmpty, "the answer did not take the mid extension for video")
        #expect(accepted.remote.setup == .active && accepted.remote.iceUfrag == "AbCd")
    }

    @Test func acceptsARejectedSection() throws {
        let accepted = try SubscriberOffer(tracks: Self.tracks()).accept(
            SessionDescription(parsing: self.chromiumStyleAnswer(rejectingVideo: true))
        )
        #expect(accepted.rejectedMids == ["1"] && accepted.media.map(\.mid) == ["0"])
    }

    @Test func refusesAnswersThatDoNotFitTheOffer() throws {
        let offer = SubscriberOffer(tracks: Self.tracks())
        #expect(throws: SDPError.self) {
            try offer.accept(SessionDescription(parsing: self.chromiumStyleAnswer(payloadTypes: "96 98")))
        }
        #expect(throws: SDPError.self) {
            try offer.accept(SessionDescription(parsing: self.chromiumStyleAnswer(payloadTypes: "97")))
        }
        let actpass = self.chromiumStyleAnswer().replacingOccurrences(of: "a=setup:active", with: "a=setup:actpass")
        #expect(throws: SDPError.self) { try offer.accept(SessionDescription(parsing: actpass)) }
        let reordered = self.chromiumStyleAnswer().replacingOccurrences(of: "a=mid:1", with: "a=mid:9")
        #expect(throws: SDPError.self) { try offer.accept(SessionDescription(parsing: reordered)) }
    }

    /// aiortc, a WebRTC stack nobody here wrote, answers the server's offer; the
    /// answer must parse and be accepted.
    @Test func aiortcAnswersTheServerOffer() throws {
        let offer = SubscriberOffer(tracks: Self.tracks())
        let text = offer.offer(local: OfferAnswerTests.local, sessionID: "7", version: 2).sdp
        let answerText = try AiortcPeer.answer(to: text)
        let accepted = try offer.accept(SessionDescription(parsing: answerText))
        #expect(accepted.media.map(\.mid) == ["0", "1"])
        #expect(accepted.media[0].mediaCodecs.first?.name == "opus")
        #expect(accepted.media[1].mediaCodecs.first?.name == "VP8")
        #expect(accepted.remote.setup == .active || accepted.remote.setup == .passive)
    }
}

/// aiortc (installed by scripts/setup.sh) as an answerer.
enum AiortcPeer {
    static func answer(to offer: String) throws -> String {
        try ExternalProcess.pythonInPrivateNetwork(script: "scripts/capture/aiortc_answer.py", input: offer)
    }
}
