import DTLS
import Foundation
import ICE
import TestSupport
import Testing

@testable import SFU

/// What a room takes before it refuses: subscribers, each with a transport of their own,
/// up to `maximumSubscribers`; one more is refused with `room_full` and gets no transport,
/// and the subscribers already in are untouched.
@Suite(.serialized) struct RoomLimitsTests {
    @Test func aSubscriberBeyondTheLimitIsRefused() throws {
        let worker = MediaWorker(name: "room-limits")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let offer = try ClientOfferSubscriptionTests.fixture("chromium-156-offer-audio-video.sdp")
        let outcome = try worker.sync {
            Result { () throws -> (SFUError?, Int, Bool) in
                let room = Room(
                    name: "limits",
                    worker: worker,
                    certificate: certificate,
                    configuration: RoomConfiguration(maximumSubscribers: 2)
                )
                defer { room.close() }
                for id in ["alice", "bob", "carol", "dave"] { room.join(participantID: id) }
                _ = try room.publish(participantID: "alice", offer: offer)
                _ = try room.subscribe(participantID: "bob")
                _ = try room.subscribe(participantID: "carol")
                var refusal: SFUError?
                do throws(SFUError) {
                    _ = try room.subscribe(participantID: "dave")
                } catch {
                    refusal = error
                }
                // Bob's next offer (a renegotiation) is not a new subscriber.
                _ = try room.offerSubscription(participantID: "bob")
                return (refusal, room.subscriberCount, room.participants["dave"]?.subscribeTransport == nil)
            }
        }.get()
        #expect(outcome.0 == SFUError.subscribersFull(maximumSubscribers: 2))
        #expect(outcome.0?.code == "room_full")
        #expect(outcome.1 == 2 && outcome.2)
    }
}
