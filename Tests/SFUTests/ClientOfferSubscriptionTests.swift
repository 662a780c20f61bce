import DTLS
import Foundation
import ICE
import RTP
import SDP
import TestSupport
import Testing

@testable import SFU

/// A subscriber that offers first (Chromium's receive-only offer) to receive one
/// publisher's tracks, as call backends built on Kurento's group call do.
@Suite(.serialized) struct ClientOfferSubscriptionTests {
    static func fixture(_ name: String) throws -> String {
        try String(
            contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(name)"),
            encoding: .utf8
        )
    }

    /// Runs `body` on a worker with a room where "alice" publishes Chromium's audio and
    /// video and "bob" has joined to receive.
    func withRoom<T: Sendable>(_ body: @escaping @Sendable (Room, [String]) throws -> T) throws -> T {
        let worker = MediaWorker(name: "client-offer")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let publisherOffer = try Self.fixture("chromium-156-offer-audio-video.sdp")
        return try worker.sync {
            Result {
                let room = Room(name: "calls", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                room.join(participantID: "alice")
                let (_, producers) = try room.publish(participantID: "alice", offer: publisherOffer)
                room.join(participantID: "bob")
                return try body(room, producers.map(\.id))
            }
        }.get()
    }

    @Test func theAnswerSendsEachTrackInTheSectionOfItsKindAtTheOfferersPayloadTypes() throws {
        let offer = try Self.fixture("chromium-156-offer-recvonly.sdp")
        let (answer, tracks, consumers) = try self.withRoom { room, producers in
            let (answer, tracks) = try room.answerSubscription(
                participantID: "bob",
                offer: offer,
                producerIDs: producers
            )
            let consumers = room.participants["bob"]!.consumers.map { ($0.mid, $0.ssrc, $0.payloadType) }
            let attached = room.allProducers.map(\.consumerCount).reduce(0, +)
            #expect(attached == 2)
            return (answer, tracks.map(\.mid), consumers)
        }
        let parsed = try SessionDescription(parsing: answer)
        #expect(tracks == ["0", "1"])
        #expect(parsed.media.count == 2)
        let audio = parsed.media[0]
        let video = parsed.media[1]
        #expect(audio.direction == .sendonly && video.direction == .sendonly)
        #expect(audio.codecs.first?.name.lowercased() == "opus" && audio.codecs.first?.payloadType == 111)
        #expect(video.codecs.first?.name == "VP8" && video.codecs.first?.payloadType == 96)
        // The server's own header extensions are negotiated with the offerer's ids, and
        // the publisher's that pass through; nothing else.
        let offered = try SessionDescription(parsing: offer)
        for (answered, asked) in zip(parsed.media, offered.media) {
            let uris = Set(answered.extensionMaps.map(\.uri))
            #expect(uris.isSuperset(of: [RTPHeaderExtensionURI.mid, RTPHeaderExtensionURI.transportWideCC]))
            #expect(uris.isSubset(of: Set(Consumer.serverExtensionIDs.map(\.uri))))
            for map in answered.extensionMaps {
                #expect(asked.extensionMaps.contains { $0.uri == map.uri && $0.id == map.id }, "the offerer's id")
            }
        }
        #expect(Set(video.extensionMaps.map(\.uri)).contains(RTPHeaderExtensionURI.videoOrientation))
        // Each sent stream is named by its SSRC, which the consumer uses.
        for (mid, ssrc, payloadType) in consumers {
            let section = parsed.media.first { $0.mid == mid }!
            #expect(section.ssrcs.contains { $0.ssrc == ssrc })
            #expect(section.codecs.first?.payloadType == payloadType)
        }
        #expect(video.ssrcGroups.first?.semantics == "FID")
    }

    @Test func aSectionWithoutATrackOfItsKindIsAnsweredInactive() throws {
        let offer = try Self.fixture("chromium-156-offer-recvonly.sdp")
        let answer = try self.withRoom { room, producers in
            let video = room.allProducers.filter { $0.kind == "video" }.map(\.id)
            #expect(video.count == 1 && producers.count == 2)
            return try room.answerSubscription(participantID: "bob", offer: offer, producerIDs: video).answer
        }
        let parsed = try SessionDescription(parsing: answer)
        #expect(parsed.media[0].direction == .inactive)
        #expect(parsed.media[0].ssrcs.isEmpty)
        #expect(parsed.media[1].direction == .sendonly)
    }

    @Test func badRequestsAreTypedErrorsAndLeaveNoTransport() throws {
        let offer = try Self.fixture("chromium-156-offer-recvonly.sdp")
        let outcomes = try self.withRoom { room, producers in
            func code(_ body: () throws -> Void) -> String {
                do {
                    try body()
                    return "ok"
                } catch {
                    return (error as? SFUError)?.code ?? "\(error)"
                }
            }
            let garbage = code {
                _ = try room.answerSubscription(participantID: "bob", offer: "v=0\r\nm=", producerIDs: producers)
            }
            let unknownTrack = code {
                _ = try room.answerSubscription(participantID: "bob", offer: offer, producerIDs: ["nobody:0"])
            }
            let nothing = code { _ = try room.answerSubscription(participantID: "bob", offer: offer, producerIDs: []) }
            let leftNoTransport = room.participants["bob"]!.subscribeTransport == nil
            let first = code {
                _ = try room.answerSubscription(participantID: "bob", offer: offer, producerIDs: producers)
            }
            let second = code {
                _ = try room.answerSubscription(participantID: "bob", offer: offer, producerIDs: producers)
            }
            let stranger = code {
                _ = try room.answerSubscription(participantID: "carol", offer: offer, producerIDs: producers)
            }
            return [garbage, unknownTrack, nothing, "\(leftNoTransport)", first, second, stranger]
        }
        #expect(
            outcomes == [
                "negotiation_failed", "unknown_producer", "negotiation_failed", "true", "ok", "negotiation_failed",
                "unknown_participant",
            ]
        )
    }
}

/// A room made with Janus's `transport_wide_cc_ext: false` negotiates no transport-wide
/// congestion control with its publishers.
@Suite struct TransportWideCCSettingTests {
    static let local = LocalTransportDescription(
        iceUfrag: "sfu1",
        icePwd: "0123456789abcdefghijkl",
        fingerprint: Fingerprint(
            hashFunction: "sha-256",
            value: Array(repeating: "AB", count: 32).joined(separator: ":")
        ),
        candidates: [],
        isGatheringComplete: true
    )

    static func answer(_ configuration: RoomConfiguration) throws -> SessionDescription {
        let offer = try SessionDescription(
            parsing: try ClientOfferSubscriptionTests.fixture("chromium-156-offer-audio-video.sdp")
        )
        let result = try OfferAnswer(capabilities: configuration.capabilities, localDirection: .recvonly)
            .answer(offer, local: Self.local, sessionID: "1")
        return result.answer
    }

    @Test func turnedOffItIsNeitherAnExtensionNorFeedback() throws {
        let off = try Self.answer(RoomConfiguration(usesTransportWideCC: false))
        let on = try Self.answer(RoomConfiguration())
        let uri = RTPHeaderExtensionURI.transportWideCC
        #expect(on.media.allSatisfy { $0.extensionMaps.contains { $0.uri == uri } })
        #expect(on.media.contains { $0.codecs.contains { $0.feedback.contains { $0.type == "transport-cc" } } })
        #expect(off.media.allSatisfy { !$0.extensionMaps.contains { $0.uri == uri } })
        #expect(off.media.allSatisfy { !$0.codecs.contains { $0.feedback.contains { $0.type == "transport-cc" } } })
    }
}
