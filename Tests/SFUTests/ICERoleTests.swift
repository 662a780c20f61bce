import DTLS
import Foundation
import ICE
import SDP
import TestSupport
import Testing

@testable import SFU

/// Who controls ICE (RFC 8445 §6.1.1, JSEP): the side that offers, unless the other side
/// is ICE lite. Both sides controlled is a role conflict some stacks never resolve (Pion
/// v3 left 4 subscribers in 10 in `checking` when the server offered as controlled).
@Suite(.serialized) struct ICERoleTests {
    struct Roles: Sendable, Equatable {
        var publish: Bool?
        var subscribe: Bool?
    }

    /// Runs `body` on a worker with a fresh room where "alice" and "bob" joined; returns
    /// whether each of bob's transports is controlling, as libnice holds it.
    func roles(_ body: @escaping @Sendable (Room) throws -> Void) throws -> Roles {
        let worker = MediaWorker(name: "ice-roles")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        return try worker.sync {
            Result {
                let room = Room(name: "roles", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                room.join(participantID: "alice")
                room.join(participantID: "bob")
                try body(room)
                let bob = room.participants["bob"]
                return Roles(
                    publish: bob?.publishTransport?.ice.isControlling,
                    subscribe: bob?.subscribeTransport?.ice.isControlling
                )
            }
        }.get()
    }

    static let offer = Result { try ClientOfferSubscriptionTests.fixture("chromium-156-offer-audio-video.sdp") }

    /// The same offer from an ICE-lite agent (`a=ice-lite` at session level, RFC 8839 §5.3).
    static func liteOffer() throws -> String {
        try Self.offer.get().replacingOccurrences(of: "a=group:BUNDLE", with: "a=ice-lite\r\na=group:BUNDLE")
    }

    @Test func theServerAnswersAPublisherAsTheControlledAgent() throws {
        let offer = try Self.offer.get()
        let roles = try self.roles { room in _ = try room.publish(participantID: "bob", offer: offer) }
        #expect(roles == Roles(publish: false, subscribe: nil))
    }

    @Test func theServerControlsWhenItOffersTheSubscription() throws {
        let offer = try Self.offer.get()
        let roles = try self.roles { room in
            _ = try room.publish(participantID: "alice", offer: offer)
            _ = try room.subscribe(participantID: "bob")
        }
        #expect(roles == Roles(publish: nil, subscribe: true))
    }

    @Test func theServerControlsAgainstAnICELiteOfferer() throws {
        let lite = try Self.liteOffer()
        let offer = try Self.offer.get()
        let roles = try self.roles { room in
            _ = try room.publish(participantID: "bob", offer: lite)
            _ = try room.publish(participantID: "alice", offer: offer)
        }
        #expect(roles == Roles(publish: true, subscribe: nil))
    }

    @Test func aSubscriberThatOffersControls() throws {
        let offer = try Self.offer.get()
        let receiving = try ClientOfferSubscriptionTests.fixture("chromium-156-offer-recvonly.sdp")
        let roles = try self.roles { room in
            let (_, producers) = try room.publish(participantID: "alice", offer: offer)
            _ = try room.answerSubscription(participantID: "bob", offer: receiving, producerIDs: producers.map(\.id))
        }
        #expect(roles == Roles(publish: nil, subscribe: false))
    }
}
