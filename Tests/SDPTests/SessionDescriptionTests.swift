import Foundation
import SDP
import Testing

@Suite struct SessionDescriptionTests {
    @Test(arguments: Fixtures.allOffers)
    func capturedOffersRoundTripByteForByte(name: String) throws {
        let text = try Fixtures.text(name)
        let description = try SessionDescription(parsing: text)
        #expect(description.sdp == text)
        #expect(try SessionDescription(parsing: description.sdp) == description)
    }

    @Test func readsTheAudioVideoOffer() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-audio-video.sdp"))
        #expect(offer.bundleMids == ["0", "1"])
        #expect(offer.attributes.contains("extmap-allow-mixed"))
        let audio = try #require(offer.media.first)
        #expect(audio.kind == "audio" && audio.mid == "0" && audio.isRTP)
        #expect(audio.rtcpMux && audio.rtcpReducedSize)
        #expect(audio.direction == .sendrecv || audio.direction == .sendonly)
        #expect(offer.setup(of: audio) == .actpass)
        #expect(offer.iceCredentials(of: audio) != nil)
        #expect(offer.fingerprints(of: audio).first?.hashFunction == "sha-256")
        #expect(offer.fingerprints(of: audio).first?.bytes.count == 32)
        let opus = try #require(audio.codecs.first)
        #expect(opus.payloadType == 111 && opus.name == "opus" && opus.clockRate == 48000 && opus.channels == 2)
        #expect(opus.parameterDictionary["useinbandfec"] == "1")
        #expect(opus.feedback.contains(RTCPFeedback(payloadType: 111, type: "transport-cc")))
        #expect(audio.extensionMaps.contains(ExtensionMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level")))
        let video = offer.media[1]
        let vp8 = try #require(video.codecs.first { $0.name == "VP8" })
        #expect(vp8.feedback.contains(RTCPFeedback(payloadType: vp8.payloadType, type: "nack", parameter: "pli")))
        let rtx = try #require(video.codecs.first { $0.associatedPayloadType == vp8.payloadType })
        #expect(rtx.name == "rtx")
        #expect(video.ssrcGroups.first?.semantics == "FID")
        #expect(video.msid != nil)
    }

    @Test func readsGatheredCandidates() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-audio-video-gathered.sdp"))
        let candidates = offer.media[0].candidates
        #expect(candidates.count == 4)
        #expect(candidates[0].transport == "udp" && candidates[0].type == "host" && candidates[0].component == 1)
        #expect(
            candidates[0].address == "192.0.2.2" && candidates[0].port == 41989
                && candidates[0].priority == 2_122_194_687
        )
        #expect(candidates[0].extensionValue("generation") == "0")
        #expect(candidates[1].address == "fd00::2")
        #expect(candidates[2].transport == "tcp" && candidates[2].extensionValue("tcptype") == "active")
        #expect(offer.media[0].port == 41989)
    }

    @Test func readsSimulcastRIDs() throws {
        let offer = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-simulcast-3rid.sdp"))
        let video = try #require(offer.media.first { $0.kind == "video" })
        #expect(video.rids.map(\.id) == ["q", "h", "f"])
        #expect(video.rids.allSatisfy { $0.direction == .send })
        #expect(video.simulcast?.send.map { $0.map(\.rid) } == [["q"], ["h"], ["f"]])
        #expect(video.direction == .sendonly)
    }

    @Test func readsRecvonlyAndDataChannel() throws {
        let recvonly = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-recvonly.sdp"))
        #expect(recvonly.media.allSatisfy { $0.direction == .recvonly })
        let data = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-audio-video-datachannel.sdp"))
        let application = try #require(data.media.last)
        #expect(application.kind == "application" && !application.isRTP)
        #expect(application.formats == ["webrtc-datachannel"])
        #expect(application.sctpPort == 5000 && application.maxMessageSize == 262_144)
    }

    @Test func keepsUnknownAttributesAndAcceptsLF() throws {
        let text =
            "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=x-custom:anything goes\n"
            + "m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=rtpmap:111 opus/48000/2\na=x-flag\n"
        let description = try SessionDescription(parsing: text)
        #expect(description.attributes.value("x-custom") == "anything goes")
        #expect(description.media[0].attributes.contains("x-flag"))
        #expect(description.sdp == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    static let head = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    @Test(
        arguments: [
            ("", SDPError.missingLine(type: "v")),
            ("o=- 1 2 IN IP4 127.0.0.1\r\n", .missingLine(type: "v")),
            ("v=1\r\n", .unsupportedVersion),
            ("v=0\r\ns=-\r\nt=0 0\r\n", .missingLine(type: "o")),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n", .missingLine(type: "s")),
            ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n", .missingLine(type: "t")),
            (head + "v=0\r\n", .duplicatedLine(line: 5, type: "v")),
            (head + "s=again\r\n", .duplicatedLine(line: 5, type: "s")),
            (head + "garbage\r\n", .malformedLine(line: 5)),
            (head + "A=b\r\n", .malformedLine(line: 5)),
            (head + "x=unknown type\r\n", .malformedLine(line: 5)),
            ("v=0\r\no=- x 2 IN\r\n", .malformedValue(line: 2, field: "o=")),
            ("v=0\r\no=- 1 notanumber IN IP4 1.2.3.4\r\n", .malformedValue(line: 2, field: "o=")),
            (head + "m=audio\r\n", .malformedValue(line: 5, field: "m=")),
            (head + "m=audio 99999 RTP/AVP 0\r\n", .malformedValue(line: 5, field: "m= port")),
            (head + "m=audio 9 RTP/AVP 300\r\n", .malformedValue(line: 5, field: "m= payload type")),
            (
                head + "m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\n",
                .duplicatedLine(line: 7, type: "c")
            ),
            (head + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", .malformedLine(line: 6)),
            (head + "a=rtpmap:111\r\n", .malformedValue(line: 5, field: "a=rtpmap")),
            (head + "a=rtpmap:200 opus/48000\r\n", .malformedValue(line: 5, field: "a=rtpmap")),
            (head + "a=rtpmap:111 opus/fast\r\n", .malformedValue(line: 5, field: "a=rtpmap")),
            (head + "a=fmtp:x apt=96\r\n", .malformedValue(line: 5, field: "a=fmtp")),
            (head + "a=extmap:0 urn:x\r\n", .malformedValue(line: 5, field: "a=extmap")),
            (head + "a=extmap:3/sideways urn:x\r\n", .malformedValue(line: 5, field: "a=extmap")),
            (
                head + "a=candidate:1 1 udp 1 127.0.0.1 99999 typ host\r\n",
                .malformedValue(line: 5, field: "a=candidate")
            ),
            (head + "a=candidate:1 1 udp 1 127.0.0.1 9 host\r\n", .malformedValue(line: 5, field: "a=candidate")),
            (head + "a=fingerprint:sha-256 ZZ:00\r\n", .malformedValue(line: 5, field: "a=fingerprint")),
            (head + "a=setup:sometimes\r\n", .malformedValue(line: 5, field: "a=setup")),
            (head + "a=ssrc:abc cname:x\r\n", .malformedValue(line: 5, field: "a=ssrc")),
            (head + "a=ssrc-group:FID 1 x\r\n", .malformedValue(line: 5, field: "a=ssrc-group")),
            (head + "a=rid:q sideways\r\n", .malformedValue(line: 5, field: "a=rid")),
            (head + "a=simulcast:send q;h recv f send x\r\n", .malformedValue(line: 5, field: "a=simulcast")),
            (head + "a=mid\r\n", .malformedValue(line: 5, field: "a=mid")),
            (head + "a=ice-ufrag:a\r\na=ice-ufrag:b\r\n", .malformedValue(line: 6, field: "a=ice-ufrag repeated")),
            (head + "a=sctp-port:ninety\r\n", .malformedValue(line: 5, field: "a=sctp-port")),
        ] as [(String, SDPError)]
    )
    func rejectsMalformedDescriptions(text: String, expected: SDPError) {
        #expect(throws: expected) { try SessionDescription(parsing: text) }
    }

    @Test func editsSurviveARoundTrip() throws {
        var offer = try SessionDescription(parsing: Fixtures.text("chromium-156-offer-audio-video.sdp"))
        offer.media[1].direction = .inactive
        offer.media[0].attributes.append(
            Candidate(
                foundation: "1",
                component: 1,
                transport: "UDP",
                priority: 2_130_706_431,
                address: "127.0.0.1",
                port: 40000,
                type: "host",
                extensions: [("generation", "0")]
            ).attribute
        )
        let again = try SessionDescription(parsing: offer.sdp)
        #expect(again.media[1].direction == .inactive)
        #expect(again.media[0].candidates.first?.sdpValue == "1 1 udp 2130706431 127.0.0.1 40000 typ host generation 0")
    }
}
