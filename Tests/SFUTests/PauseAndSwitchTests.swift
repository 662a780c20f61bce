import RTP
import Testing

@testable import SFU

/// A subscriber's section that stops and goes on (Janus `pause` / `start`, `configure`
/// with `send`), or is pointed at another track (`switch`): the video goes on from a key
/// frame, never from frames whose references the subscriber's decoder does not have,
/// with its numbering continuous and its timestamps skipping as long as it was silent.
@Suite struct PauseAndSwitchTests {
    /// A VP8 packet of `ssrc` (a key frame's first packet, or a delta frame's).
    static func vp8(_ ssrc: SSRC, _ sequenceNumber: UInt16, timestamp: UInt32, keyFrame: Bool = false) -> [UInt8] {
        rtpPacket(
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: 96,
            payload: SimulcastLayerTests.vp8(keyFrame: keyFrame)
        )
    }

    /// A key frame's packet (`sequenceNumber`, at 3,000) and a delta frame's after it,
    /// sent by `publisher`: the two packets `subscriber` got.
    static func keyFrameAndDelta(
        _ ssrc: SSRC,
        _ sequenceNumber: UInt16,
        from publisher: MediaHarness.Leg,
        to subscriber: MediaHarness.Leg,
        in harness: MediaHarness
    ) throws -> [RTPPacket] {
        try publisher.send(Self.vp8(ssrc, sequenceNumber, timestamp: 3_000, keyFrame: true))
        try publisher.send(Self.vp8(ssrc, sequenceNumber + 1, timestamp: 6_000))
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        #expect(forwarded.count == 2)
        return forwarded
    }

    static func pictureLoss(_ ssrc: SSRC) -> RTCPPacket {
        .pictureLossIndication(PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: ssrc))
    }

    @Test func aResumedVideoGoesOnFromTheNextKeyFrameSkippingThePause() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: [alice.producers[1]])
        let consumer = try #require(bob.consumers.first)
        let before = try Self.keyFrameAndDelta(0x1111, 1, from: publisher, to: subscriber, in: harness)

        consumer.pause()
        try publisher.send(Self.vp8(0x1111, 3, timestamp: 9_000))
        try publisher.send(Self.vp8(0x1111, 4, timestamp: 12_000))
        harness.endBurst()
        #expect(try subscriber.received().rtp.isEmpty)
        #expect(consumer.drops[.consumerPaused] == 2)
        _ = try publisher.received()

        // As if the pause had lasted two seconds.
        consumer.silentSince = .now - .seconds(2)
        consumer.resume()
        harness.endBurst()
        #expect(try publisher.received().rtcp == [Self.pictureLoss(0x1111)])
        // The delta frames before the key frame are not sent: they refer to frames the
        // subscriber never got.
        try publisher.send(Self.vp8(0x1111, 5, timestamp: 15_000))
        try publisher.send(Self.vp8(0x1111, 6, timestamp: 18_000, keyFrame: true))
        try publisher.send(Self.vp8(0x1111, 7, timestamp: 21_000))
        harness.endBurst()
        let after = try subscriber.received().rtp
        #expect(after.count == 2)
        // Numbered on from the last packet sent; two seconds later at 90 kHz.
        #expect(after.map(\.sequenceNumber) == [2, 3].map { before[1].sequenceNumber.advanced(by: $0 - 1) })
        let skipped = after[0].timestamp.rawValue &- before[1].timestamp.rawValue
        #expect(skipped >= 180_000 && skipped < 190_000)
        #expect(after[1].timestamp.rawValue &- after[0].timestamp.rawValue == 3_000)
        #expect(consumer.source != nil && consumer.target == nil)
    }

    @Test func aResumedAudioSectionGoesOnAtOnce() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: [alice.producers[0]])
        let consumer = try #require(bob.consumers.first)
        let opus = { (number: UInt16) in
            rtpPacket(ssrc: 0x3333, sequenceNumber: number, timestamp: UInt32(number) * 960, payloadType: 111)
        }
        try publisher.send(opus(1))
        consumer.pause()
        try publisher.send(opus(2))
        consumer.resume()
        try publisher.send(opus(3))
        harness.endBurst()
        #expect(try subscriber.received().rtp.count == 2)
        #expect(try publisher.received().rtcp.isEmpty)
    }

    @Test func theKeyFrameAResumedSectionWaitsForIsAskedForAgainUntilItComes() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, _) = try harness.subscriber("bob", taking: [alice.producers[1]])
        let consumer = try #require(bob.consumers.first)
        let stream = try #require(alice.producers[1].streams.first)
        try publisher.send(Self.vp8(0x1111, 1, timestamp: 3_000, keyFrame: true))
        consumer.pause()
        consumer.resume()
        // Asked for at once; asked again within the publisher's throttle, nothing more.
        consumer.requestMissingKeyFrame()
        harness.endBurst()
        #expect(try publisher.received().rtcp == [Self.pictureLoss(0x1111)])
        // What the publisher gets from the room's next check, once the throttle allows.
        let askAgain = { () throws -> [RTCPPacket] in
            stream.lastKeyFrameRequest = .now - .seconds(1)
            consumer.requestMissingKeyFrame()
            harness.endBurst()
            return try publisher.received().rtcp
        }
        // Asked again.
        #expect(try askAgain() == [Self.pictureLoss(0x1111)])
        // It came: nothing more to ask for.
        try publisher.send(Self.vp8(0x1111, 2, timestamp: 6_000, keyFrame: true))
        #expect(try askAgain().isEmpty)
        // Nor does a paused section ask.
        consumer.pause()
        consumer.source = nil
        consumer.target = stream
        #expect(try askAgain().isEmpty)
    }

    @Test func aSwitchedSectionGoesOnFromTheNewTracksKeyFrame() throws {
        let harness = try MediaHarness()
        let (alice, alicePublisher) = try harness.publisher("alice")
        let (carol, carolPublisher) = try harness.publisher(
            "carol",
            videoSSRC: 0x6111,
            rtxSSRC: 0x6222,
            audioSSRC: 0x6333
        )
        let (bob, subscriber) = try harness.subscriber("bob", taking: [alice.producers[1]])
        let consumer = try #require(bob.consumers.first)
        let before = try Self.keyFrameAndDelta(0x1111, 100, from: alicePublisher, to: subscriber, in: harness)

        // As the room switches a section (`Room.switchSubscription`).
        alice.producers[1].consumers.removeAll { $0 === consumer }
        consumer.switchSource(to: carol.producers[1])
        carol.producers[1].consumers.append(consumer)
        // Carol's delta frame would be decoded against Alice's pictures: left out.
        try carolPublisher.send(Self.vp8(0x6111, 7_000, timestamp: 900_000))
        try alicePublisher.send(Self.vp8(0x1111, 102, timestamp: 9_000))
        try carolPublisher.send(Self.vp8(0x6111, 7_001, timestamp: 903_000, keyFrame: true))
        try carolPublisher.send(Self.vp8(0x6111, 7_002, timestamp: 906_000))
        harness.endBurst()
        let after = try subscriber.received().rtp
        #expect(after.count == 2)
        #expect(after.allSatisfy { $0.ssrc == consumer.ssrc })
        #expect(after[0].sequenceNumber == before[1].sequenceNumber.advanced(by: 1))
        #expect(after[0].timestamp.rawValue &- before[1].timestamp.rawValue == 3_000)
    }
}
