import DTLS
import Foundation
import ICE
import Recording
import SDP
import TestSupport
import Testing

@testable import SFU

/// Subsequent offers on a live publishing connection (Chromium's, edited as a browser
/// edits it): a screen share added as a third section, a track removed, ICE restarted;
/// and offers that may not change the connection, refused with the call left intact.
@Suite(.serialized) struct RenegotiationTests {
    static let first = Result { try ClientOfferSubscriptionTests.fixture("chromium-156-offer-audio-video.sdp") }

    struct Outcome: Sendable {
        var producersBefore: [String] = []
        var producersAfter: [String] = []
        /// Whether every track that was there before is still the same producer.
        var keptProducers = false
        var answer = ""
        var error: SFUError?
        var events: [String] = []
        var iceRestarts = 0
        var firstUfrag = ""
        /// Who the room records after the renegotiation.
        var recorded: [String] = []
    }

    /// "alice" publishes Chromium's first offer and "bob" receives it; then `next` makes
    /// the second offer from the first, which alice sends on the same connection.
    func renegotiate(
        recordingEveryone: Bool = false,
        _ next: @escaping @Sendable (String) throws -> String
    ) throws -> Outcome {
        let worker = MediaWorker(name: "renegotiation")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let offer = try Self.first.get()
        return try worker.sync {
            Result {
                let room = Room(name: "calls", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                var outcome = Outcome()
                room.join(participantID: "alice")
                room.join(participantID: "bob")
                if recordingEveryone {
                    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                        "renegotiation-\(UInt32.random(in: 0...UInt32.max))"
                    )
                    try room.recordEveryone(into: folder.path, recorder: Recorder())
                }
                let (firstAnswer, producers) = try room.publish(participantID: "alice", offer: offer)
                outcome.firstUfrag = try SessionDescription(parsing: firstAnswer).media[0].iceUfrag ?? ""
                _ = try room.subscribe(participantID: "bob")
                outcome.producersBefore = producers.map(\.id)
                let events = EventLog()
                room.onEvent = { event in
                    switch event {
                    case .trackPublished(let track): events.items.append("published \(track.id)")
                    case .trackUnpublished(let track): events.items.append("unpublished \(track.id)")
                    default: break
                    }
                }
                do {
                    outcome.answer = try room.publish(participantID: "alice", offer: try next(offer)).answer
                } catch let error as SFUError {
                    outcome.error = error
                }
                let now = room.participants["alice"]?.producers ?? []
                outcome.producersAfter = now.map(\.id)
                outcome.keptProducers = producers.allSatisfy { old in
                    now.contains { $0 === old } || !outcome.producersAfter.contains(old.id)
                }
                outcome.events = events.items
                outcome.iceRestarts = room.participants["alice"]?.publishTransport?.iceRestarts ?? -1
                outcome.recorded = room.recordedParticipants
                _ = try? room.recordEveryone(into: nil, recorder: Recorder())
                return outcome
            }
        }.get()
    }

    final class EventLog: @unchecked Sendable { var items: [String] = [] }

    @Test func aScreenShareAddedToTheConnectionIsANewTrackAndTheOthersGoOn() throws {
        let outcome = try self.renegotiate { try BrowserOfferEdits.addingScreenShare(to: $0) }
        #expect(outcome.error == nil)
        #expect(outcome.producersBefore == ["alice:0", "alice:1"])
        #expect(outcome.producersAfter == ["alice:0", "alice:1", "alice:2"])
        #expect(outcome.keptProducers)
        #expect(outcome.events == ["published alice:2"])
        #expect(outcome.iceRestarts == 0)
        let answer = try SessionDescription(parsing: outcome.answer)
        #expect(answer.media.map(\.mid) == ["0", "1", "2"])
        #expect(answer.media.map(\.direction) == [.recvonly, .recvonly, .recvonly])
        #expect(answer.bundleMids == ["0", "1", "2"])
        // The same credentials: no restart; the answer's version moved on.
        #expect(answer.media[0].iceUfrag == outcome.firstUfrag)
        #expect(answer.origin.sessionVersion == 2)
    }

    @Test func aTrackTheOfferNoLongerSendsEnds() throws {
        let outcome = try self.renegotiate { try BrowserOfferEdits.removingCamera(from: $0) }
        #expect(outcome.error == nil)
        #expect(outcome.producersAfter == ["alice:0"])
        #expect(outcome.keptProducers)
        #expect(outcome.events == ["unpublished alice:1"])
        let answer = try SessionDescription(parsing: outcome.answer)
        #expect(answer.media.map(\.direction) == [.recvonly, .inactive])
    }

    /// A room recorded whole goes on recording a publisher whose tracks changed: its
    /// recording starts again with the tracks as they are now.
    @Test func aRecordedPublisherIsRecordedAgainAfterATrackEnds() throws {
        let outcome = try self.renegotiate(recordingEveryone: true) { try BrowserOfferEdits.removingCamera(from: $0) }
        #expect(outcome.producersAfter == ["alice:0"])
        #expect(outcome.recorded == ["alice"])
    }

    @Test func aNewSourceInASectionIsANewTrack() throws {
        let outcome = try self.renegotiate { offer in
            offer.replacingOccurrences(of: "1883766780", with: "1234567890")
        }
        #expect(outcome.error == nil)
        #expect(outcome.producersAfter == ["alice:0", "alice:1"])
        #expect(outcome.events == ["unpublished alice:1", "published alice:1"])
    }

    @Test func newCredentialsRestartICEAndTheAnswerBringsNewOnes() throws {
        let outcome = try self.renegotiate { offer in
            offer.replacingOccurrences(of: "a=ice-ufrag:NoDs", with: "a=ice-ufrag:Rst2")
                .replacingOccurrences(of: "b50lbdoh9o6TPXBQ/6W3iHqD", with: "restartedpassword0000000")
        }
        #expect(outcome.error == nil)
        #expect(outcome.iceRestarts == 1)
        #expect(outcome.producersAfter == ["alice:0", "alice:1"])
        #expect(outcome.keptProducers)
        #expect(outcome.events.isEmpty)
        let answer = try SessionDescription(parsing: outcome.answer)
        #expect(answer.media[0].iceUfrag != nil && answer.media[0].iceUfrag != outcome.firstUfrag)
    }

    @Test(arguments: [
        ("a BUNDLE group without the tag", "a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0", "BUNDLE group's tag"),
        ("no BUNDLE group", "a=group:BUNDLE 0 1\r\n", "", "no BUNDLE group"),
        ("a mid given another kind", "m=audio 9", "m=video 9", "keeps its kind"),
        ("another certificate", "FF:4D:26:6D", "00:4D:26:6D", "DTLS fingerprint changed"),
    ])
    func anOfferThatWouldChangeTheConnectionIsRefusedAndTheCallGoesOn(
        _ case: (String, String, String, String)
    ) throws {
        let (_, old, new, reason) = `case`
        let outcome = try self.renegotiate { offer in
            guard offer.contains(old) else { throw SDPError.negotiationFailed(reason: "fixture") }
            return offer.replacingOccurrences(of: old, with: new)
        }
        #expect(outcome.error?.code == "negotiation_failed")
        #expect(outcome.error?.description.contains(reason) == true, "\(String(describing: outcome.error))")
        #expect(outcome.producersAfter == ["alice:0", "alice:1"])
        #expect(outcome.keptProducers)
        #expect(outcome.events.isEmpty)
        #expect(outcome.iceRestarts == 0)
    }

    /// A subscriber whose browser cannot receive the publisher's video codec rejects its
    /// section: the room says so (`trackRefused`) and leaves that track out of its later
    /// offers of every track, rather than adding a dead section each time.
    @Test func aSubscriberThatCannotReceiveACodecIsToldAndNotOfferedItAgain() throws {
        let worker = MediaWorker(name: "refusal")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let offer = try Self.first.get()
        let (events, sections) = try worker.sync {
            Result { () throws -> ([String], [Int]) in
                let room = Room(name: "calls", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                room.join(participantID: "alice")
                room.join(participantID: "bob")
                _ = try room.publish(participantID: "alice", offer: offer)
                let log = EventLog()
                room.onEvent = { event in
                    if case .trackRefused(let who, let mid, let track) = event {
                        log.items.append("\(who) \(mid) \(track.id) \(track.codec)")
                    }
                }
                // An answerer that receives audio alone (no video codec in common).
                var audioOnly = MediaCapabilities.default
                audioOnly.videoCodecs = []
                let local = LocalTransportDescription(
                    iceUfrag: "sub1",
                    icePwd: "0123456789abcdefghijkl",
                    fingerprint: Fingerprint(
                        hashFunction: "sha-256",
                        value: Array(repeating: "AB", count: 32).joined(separator: ":")
                    ),
                    isGatheringComplete: true
                )
                let firstOffer = try room.subscribe(participantID: "bob")
                let answer = try OfferAnswer(capabilities: audioOnly, localDirection: .recvonly, codecLimit: nil)
                    .answer(try SessionDescription(parsing: firstOffer), local: local, sessionID: "7").answer.sdp
                try room.acceptSubscriptionAnswer(participantID: "bob", answer: answer)
                let again = try room.subscribe(participantID: "bob")
                return (
                    log.items,
                    [
                        try SessionDescription(parsing: firstOffer).media.count,
                        try SessionDescription(parsing: again).media.count,
                    ]
                )
            }
        }.get()
        #expect(events == ["bob 1 alice:1 vp8"])
        #expect(sections == [2, 2])
    }
}
