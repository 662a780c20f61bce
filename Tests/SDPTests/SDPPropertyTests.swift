import SDP
import TestSupport
import Testing

/// Seeded random descriptions: whatever the builder side writes, the parser reads back
/// equal, and the typed accessors return the typed values that went in.
@Suite struct SDPPropertyTests {
    /// Seeded randomness plus random tokens.
    struct Generator: RandomNumberGenerator {
        var source: SplitMix64

        init(state: UInt64) {
            self.source = SplitMix64(seed: state)
        }

        mutating func next() -> UInt64 {
            self.source.next()
        }

        mutating func token(
            _ alphabet: String = "abcdefghijklmnopqrstuvwxyz0123456789",
            length: ClosedRange<Int> = 1...10
        )
            -> String
        {
            let characters = Array(alphabet)
            return String(
                (0..<Int.random(in: length, using: &self)).map { _ in characters.randomElement(using: &self)! }
            )
        }
    }

    func randomMedia(_ g: inout Generator, index: Int) -> (MediaDescription, [RTPMap], [Candidate], [RIDAttribute]) {
        let kind = ["audio", "video"].randomElement(using: &g)!
        let payloadTypes = Array(
            Set((0..<Int.random(in: 1...6, using: &g)).map { _ in UInt8.random(in: 96...127, using: &g) })
        )
        .sorted()
        var media = MediaDescription(
            kind: kind,
            port: Int.random(in: 0...65535, using: &g),
            proto: "UDP/TLS/RTP/SAVPF",
            formats: payloadTypes.map(String.init),
            lines: [SDPLine("c", "IN IP4 0.0.0.0")]
        )
        media.attributes.append(SDPAttribute("mid", "m\(index)"))
        let maps = payloadTypes.map {
            RTPMap(
                payloadType: $0,
                encodingName: g.token("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                clockRate: [8000, 48000, 90000].randomElement(using: &g)!,
                channels: Bool.random(using: &g) ? Int.random(in: 1...2, using: &g) : nil
            )
        }
        media.attributes += maps.map(\.attribute)
        for pt in payloadTypes where Bool.random(using: &g) {
            media.attributes.append(
                FormatParameters(payloadType: pt, parameters: "\(g.token())=\(g.token())").attribute
            )
            media.attributes.append(
                RTCPFeedback(payloadType: pt, type: "nack", parameter: Bool.random(using: &g) ? "pli" : nil).attribute
            )
        }
        media.attributes.append(
            ExtensionMap(
                id: UInt8.random(in: 1...14, using: &g),
                direction: MediaDirection.allCases.randomElement(using: &g),
                uri: "urn:x:\(g.token())"
            ).attribute
        )
        let candidates = (0..<Int.random(in: 0...3, using: &g)).map { _ in
            Candidate(
                foundation: g.token(),
                component: 1,
                transport: ["udp", "tcp"].randomElement(using: &g)!,
                priority: UInt32.random(in: 0...UInt32.max, using: &g),
                address: "127.0.0.\(Int.random(in: 1...254, using: &g))",
                port: UInt16.random(in: 1...65535, using: &g),
                type: ["host", "srflx", "relay"].randomElement(using: &g)!,
                relatedAddress: Bool.random(using: &g) ? "127.0.0.1" : nil,
                relatedPort: Bool.random(using: &g) ? 9 : nil,
                extensions: Bool.random(using: &g) ? [("generation", "0")] : []
            )
        }
        media.attributes += candidates.map(\.attribute)
        let rids = (0..<Int.random(in: 0...3, using: &g)).map { _ in
            RIDAttribute(id: g.token(), direction: .send, restrictions: Bool.random(using: &g) ? "max-width=640" : nil)
        }
        media.attributes += rids.map(\.attribute)
        if !rids.isEmpty {
            media.attributes.append(SimulcastAttribute(send: rids.map { [.init(rid: $0.id)] }).attribute)
        }
        let ssrc = UInt32.random(in: 0...UInt32.max, using: &g)
        media.attributes.append(SSRCAttribute(ssrc: ssrc, name: "cname", value: g.token()).attribute)
        media.attributes.append(SSRCGroup(semantics: "FID", ssrcs: [ssrc, ssrc &+ 1]).attribute)
        media.attributes.append(SDPAttribute("x-\(g.token())", Bool.random(using: &g) ? g.token() : nil))
        media.direction = MediaDirection.allCases.randomElement(using: &g)!
        return (media, maps, candidates, rids)
    }

    @Test func randomDescriptionsRoundTrip() throws {
        var g = Generator(state: 2026)
        for _ in 0..<300 {
            var description = SessionDescription(
                origin: .init(sessionID: String(UInt64.random(in: 0...UInt64.max, using: &g)), sessionVersion: 2)
            )
            var expected: [([RTPMap], [Candidate], [RIDAttribute])] = []
            for index in 0..<Int.random(in: 1...4, using: &g) {
                let (media, maps, candidates, rids) = self.randomMedia(&g, index: index)
                description.media.append(media)
                expected.append((maps, candidates, rids))
            }
            description.attributes.append(
                MediaGroup(semantics: "BUNDLE", mids: description.media.compactMap(\.mid)).attribute
            )
            let parsed = try SessionDescription(parsing: description.sdp)
            #expect(parsed == description)
            for (media, (maps, candidates, rids)) in zip(parsed.media, expected) {
                #expect(media.rtpMaps == maps)
                #expect(media.candidates == candidates)
                #expect(media.rids == rids)
                #expect(media.codecs.count == maps.count)
            }
        }
    }
}
