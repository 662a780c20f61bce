import DTLS
import Foundation
import ICE
import NIOCore
import RTP
import TestSupport
import Testing

@testable import SFU

/// A publisher's most incoming media (`--max-publisher-bitrate`): what arrives beyond it
/// is dropped once authenticated and counted (forged datagrams take nothing from it) and
/// not asked for again, what keeps to it all goes through,
/// and REMB never asks a publisher for more.
@Suite struct PublisherBitrateLimitTests {
    static let second: UInt64 = 1_000_000_000

    /// The bucket lets a second of the limit through at once, then the limit; a clock
    /// that goes back refills nothing, and a pause of a second or more refills it whole.
    @Test func theBucketAdmitsASecondAtOnceThenTheLimit() {
        var limit = IngressBitrateLimit(bitsPerSecond: 800_000)  // 100,000 bytes a second
        let start: UInt64 = 1_700_000_000 * Self.second
        var admitted = 0
        for _ in 0..<200 where limit.admits(1_000, at: start) { admitted += 1 }
        #expect(admitted == 100)
        // 10 ms later: 1,000 bytes more.
        let refilled = limit.admits(1_000, at: start + Self.second / 100)
        let overdrawn = limit.admits(1_000, at: start + Self.second / 100)
        let wentBack = limit.admits(1, at: start)
        #expect(refilled && !overdrawn && !wentBack)
        // Four seconds at twice the limit: the limit gets through, give or take a packet.
        admitted = 0
        for index in 1...800
        where limit.admits(1_000, at: start + Self.second / 100 + UInt64(index) * Self.second / 200) {
            admitted += 1
        }
        #expect((398...401).contains(admitted), "\(admitted)")
        let whole = limit.admits(100_000, at: start + 10 * Self.second)
        let untimed = limit.admits(1_000, at: 0)
        #expect(whole && untimed)
    }

    /// Through a publisher's path, 2 s at twice the limit: about a second's worth plus
    /// two seconds of the limit reach the subscriber, the rest is counted as
    /// `overBitrateLimit`; then, at half the limit, every packet gets through.
    @Test func mediaBeyondThePublishersLimitIsDroppedCountedAndNotForwarded() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        publisher.path.ingressLimit = IngressBitrateLimit(bitsPerSecond: 1_000_000)  // 125,000 bytes a second
        let start: UInt64 = 1_700_000_000 * Self.second
        var sequenceNumber: UInt16 = 0
        func send(_ count: Int, every interval: UInt64, from offset: UInt64) throws {
            for index in 0..<count {
                sequenceNumber &+= 1
                try publisher.send(
                    rtpPacket(
                        ssrc: 0x1111,
                        sequenceNumber: sequenceNumber,
                        timestamp: UInt32(sequenceNumber) * 3_000,
                        payloadType: 96,
                        payload: Array(repeating: 0x42, count: 1_000)
                    ),
                    arrival: start + offset + UInt64(index) * interval
                )
                if index % 10 == 9 {
                    harness.endBurst()
                    _ = try subscriber.received()
                }
            }
            harness.endBurst()
        }
        // A megabyte forged with the publisher's address first: it fails authentication
        // and takes nothing from the allowance.
        var forged = ByteBuffer(
            bytes: rtpPacket(
                ssrc: 0x1111,
                sequenceNumber: 1,
                timestamp: 1,
                payloadType: 96,
                payload: Array(repeating: 0, count: 1_000)
            )
        )
        try publisher.clientOutbound.protect(&forged)
        var bytes = Array(forged.readableBytesView)
        bytes[bytes.count - 1] ^= 0xFF
        for _ in 0..<1_000 { bytes.withUnsafeBytes { publisher.path.receive($0, arrival: start) } }
        #expect(publisher.path.drops[.srtpFailure] == 1_000)
        // 2 s at 250 kB/s: 500 datagrams of about 1,030 bytes.
        try send(500, every: Self.second / 250, from: 0)
        let dropped = publisher.path.drops[.overBitrateLimit]
        let consumer = try #require(bob.consumers.first { $0.producer.kind == "video" })
        #expect(consumer.packets + dropped == 500)
        // The gaps the limit made are not asked for again: each resend would be more of
        // the same.
        let nacks = try publisher.received().rtcp.filter {
            if case .genericNACK = $0 { true } else { false }
        }
        #expect(nacks.isEmpty && alice.producers.allSatisfy { $0.nacksSent == 0 }, "\(nacks.count) NACKs")
        // 125,000 + 2 × 125,000 bytes: about 364 datagrams of 1,030.
        #expect((355...370).contains(consumer.packets), "\(consumer.packets) forwarded, \(dropped) dropped")
        // Then 2 s at 62.5 kB/s: nothing more is dropped.
        try send(120, every: Self.second / 60, from: 3 * Self.second)
        #expect(publisher.path.drops[.overBitrateLimit] == dropped)
        #expect(consumer.packets + dropped == 620)
    }

    /// A room takes the server's limit: its publishers' paths enforce it, and REMB asks
    /// for the room's cap within it.
    @Test func aRoomsPublishersTakeTheServersLimitAndREMBStaysWithinIt() async throws {
        #expect(
            RoomConfiguration(publisherBitrateCap: 5_000_000, maximumPublisherBitrate: 2_000_000).rembBitrate
                == 2_000_000
        )
        #expect(
            RoomConfiguration(publisherBitrateCap: 500_000, maximumPublisherBitrate: 2_000_000).rembBitrate == 500_000
        )
        #expect(RoomConfiguration(maximumPublisherBitrate: 2_000_000).rembBitrate == 2_000_000)
        #expect(RoomConfiguration().rembBitrate == nil)
        let server = try MediaServer(
            configuration: .init(
                workers: 1,
                ice: .init(localAddresses: ["127.0.0.1"]),
                maximumPublisherBitrate: 3_000_000
            )
        )
        try await server.createRoom("limited", configuration: RoomConfiguration(publisherBitrateCap: 8_000_000))
        let offer = try ClientOfferSubscriptionTests.fixture("chromium-156-offer-audio-video.sdp")
        let (enforced, remb) = try await server.withRoom("limited") { room throws(SFUError) in
            room.join(participantID: "alice")
            _ = try room.publish(participantID: "alice", offer: offer)
            return (
                room.participants["alice"]?.publishTransport?.media.ingressLimit?.bytesPerSecond,
                room.configuration.rembBitrate
            )
        }
        #expect(enforced == 375_000)
        #expect(remb == 3_000_000)
        await server.shutdown()
    }

    /// The REMB a publisher is sent: the room's cap every second, within the limit; the
    /// server's limit alone only beside receiver reports, so an idle publisher is sent
    /// nothing.
    @Test func theLimitAloneIsSentOnlyToAPublisherWhoseMediaArrives() throws {
        let worker = MediaWorker(name: "remb")
        defer { worker.shutdown() }
        let certificate = try DTLSCertificate()
        func remb(cap: Int?, sending: Bool) throws -> (reports: Int, remb: [Int]) {
            let harness = try MediaHarness()
            let (alice, publisher) = try harness.publisher("alice")
            if sending {
                try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: 1, timestamp: 1, payloadType: 96))
            }
            let configuration = RoomConfiguration(publisherBitrateCap: cap, maximumPublisherBitrate: 2_000_000)
            let box = UncheckedSendableBox((alice, publisher.path))
            worker.sync {
                let room = Room(name: "remb", worker: worker, certificate: certificate, configuration: configuration)
                room.sendReceiverReports(for: box.value.0, on: box.value.1, now: .now)
                room.close()
            }
            harness.endBurst()
            var reports = 0
            var bitrates: [Int] = []
            for packet in try publisher.received().rtcp {
                switch packet {
                case .receiverReport: reports += 1
                case .receiverEstimatedMaximumBitrate(let remb): bitrates.append(remb.bitsPerSecond)
                default: break
                }
            }
            return (reports, bitrates)
        }
        let idle = try remb(cap: nil, sending: false)
        #expect(idle.reports == 0 && idle.remb.isEmpty)
        let sending = try remb(cap: nil, sending: true)
        #expect(sending.reports == 1 && sending.remb == [2_000_000])
        let capped = try remb(cap: 500_000, sending: false)
        #expect(capped.reports == 0 && capped.remb == [500_000])
    }
}
