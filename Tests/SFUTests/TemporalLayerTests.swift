import NIOCore
import RTP
import Testing

@testable import SFU

/// A consumer forwards the temporal layers its subscriber wants: frames above them are
/// left out whole, lower at once (at the next frame), higher at a layer sync frame, and
/// the subscriber sees sequence numbers, picture ids and TL0PICIDX with no gap.
@Suite struct TemporalLayerTests {
    /// One packet of a VP8 frame as Chromium sends simulcast: picture id (15 bits),
    /// TL0PICIDX, temporal layer and layer sync (RFC 7741 §4.2).
    struct Frame {
        var picture: UInt16
        var tl0: UInt8
        var layer: UInt8
        var sync = false
        var keyFrame = false
    }

    static func payload(_ frame: Frame, start: Bool) -> [UInt8] {
        [
            start ? 0x90 : 0x80, 0xE0, 0x80 | UInt8(frame.picture >> 8), UInt8(frame.picture & 0xFF), frame.tl0,
            frame.layer << 6 | (frame.sync ? 0x20 : 0), frame.keyFrame ? 0x00 : 0x01, 0x9D, 0x01, 0x2A,
        ]
    }

    /// Chromium's three-layer pattern from picture `first` on: 0, 2, 1, 2, with a layer
    /// sync on the first TL1 and TL2 frames after each TL0 frame... as the encoder marks
    /// them: TL1 frames and the TL2 frame right after TL0 depend only on TL0.
    static func pattern(from first: UInt16, count: Int, tl0: UInt8 = 10) -> [Frame] {
        (0..<count).map { index in
            let layer: UInt8 = [0, 2, 1, 2][index % 4]
            return Frame(
                picture: (first &+ UInt16(index)) & 0x7FFF,
                tl0: tl0 &+ UInt8(index / 4),
                layer: layer,
                sync: index % 4 == 1 || index % 4 == 2
            )
        }
    }

    /// Sends `frames`, two packets each, from sequence number `sequenceNumber` on.
    /// One packet of `frame` on `ssrc`, with the MID and rid extensions when `rid` is given.
    static func packet(
        _ frame: Frame,
        start: Bool,
        _ sequenceNumber: UInt16,
        ssrc: SSRC = 0x1111,
        rid: String? = nil
    ) -> [UInt8] {
        rtpPacket(
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: UInt32(frame.picture) &* 3_000,
            payloadType: 96,
            marker: !start,
            extensions: rid.map { [(MediaHarness.midID, Array("0".utf8)), (MediaHarness.ridID, Array($0.utf8))] } ?? [],
            payload: Self.payload(frame, start: start)
        )
    }

    static func send(
        _ frames: [Frame],
        _ publisher: MediaHarness.Leg,
        from sequenceNumber: inout UInt16,
        ssrc: SSRC = 0x1111
    ) throws {
        for frame in frames {
            for start in [true, false] {
                try publisher.send(Self.packet(frame, start: start, sequenceNumber, ssrc: ssrc))
                sequenceNumber &+= 1
            }
        }
    }

    /// What the subscriber got, per packet: sequence number, picture id, TL0PICIDX and
    /// temporal layer.
    static func read(
        _ packets: [RTPPacket]
    ) throws -> [(sequenceNumber: UInt16, picture: UInt16, tl0: UInt8, layer: UInt8)] {
        try packets.map { packet in
            let descriptor = try VP8PayloadDescriptor(validating: packet)
            return (
                packet.sequenceNumber.rawValue, descriptor.pictureID ?? 0, descriptor.tl0PictureIndex ?? 0,
                descriptor.temporalLayer ?? 0
            )
        }
    }

    static func expectContinuous(_ got: [(sequenceNumber: UInt16, picture: UInt16, tl0: UInt8, layer: UInt8)]) {
        for (previous, next) in zip(got, got.dropFirst()) {
            #expect(next.sequenceNumber == previous.sequenceNumber &+ 1)
            let step = (next.picture &- previous.picture) & 0x7FFF
            #expect(step == 0 || step == 1, "picture \(previous.picture) then \(next.picture)")
            #expect(next.tl0 == previous.tl0 || next.tl0 == previous.tl0 &+ 1)
        }
    }

    /// A VP8 publisher and a subscriber of its video, on the harness.
    static func call() throws -> (MediaHarness, MediaHarness.Leg, MediaHarness.Leg, Consumer) {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first { $0.producer.kind == "video" })
        return (harness, publisher, subscriber, consumer)
    }

    /// A track sent in one stream with temporal layers is shared out like a simulcast
    /// one: the link's room lowers its frame rate, and with no room even for its base
    /// layer it is paused, to resume at the next key frame.
    @Test func aSingleStreamWithTemporalLayersGivesUpFrameRateThenPausesAndResumes() throws {
        let (harness, publisher, subscriber, consumer) = try Self.call()
        var sequenceNumber: UInt16 = 1
        #expect(!consumer.producer.isLayered)
        var frames = Self.pattern(from: 1, count: 4)
        frames[0].keyFrame = true
        try Self.send(frames, publisher, from: &sequenceNumber)
        harness.endBurst()
        _ = try subscriber.received()
        #expect(consumer.producer.isLayered && !consumer.producer.hasSpatialLayers)
        // Three temporal steps below the whole stream: the base layer alone fits.
        consumer.baseTemporalSteps = 2
        let start = ContinuousClock.now
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start)
        #expect(consumer.bandwidthTemporalLayer == 0 && consumer.layerLimit == "bandwidth")
        try Self.send(Self.pattern(from: 5, count: 4, tl0: 11), publisher, from: &sequenceNumber)
        harness.endBurst()
        #expect(try Self.read(subscriber.received().rtp).map(\.layer) == [0, 0])
        // No room at all: paused; then room for the base layer, after the hold.
        consumer.allowBandwidthLevel(keeping: -1, climbing: -1, now: start + .seconds(1))
        #expect(consumer.isSuspended)
        try Self.send(Self.pattern(from: 9, count: 4, tl0: 12), publisher, from: &sequenceNumber)
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(2))
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(5))
        consumer.selectLayer()
        #expect(!consumer.isSuspended)
        try Self.send(Self.pattern(from: 13, count: 4, tl0: 13), publisher, from: &sequenceNumber)
        var key = Self.pattern(from: 17, count: 4, tl0: 14)
        key[0].keyFrame = true
        try Self.send(key, publisher, from: &sequenceNumber)
        harness.endBurst()
        let resumed = try Self.read(subscriber.received().rtp)
        #expect(resumed.map(\.layer) == [0, 0], "the key frame's base layer frame only")
        Self.expectContinuous(resumed)
    }

    @Test func aConsumerAtTheBaseLayerGetsEveryFourthFrameNumberedWithoutAGap() throws {
        let (harness, publisher, subscriber, consumer) = try Self.call()
        var sequenceNumber: UInt16 = 65_530
        // 32,760 onwards: the 15-bit picture id wraps on the way.
        try Self.send(Self.pattern(from: 32_760, count: 4), publisher, from: &sequenceNumber)
        consumer.setPreferredTemporalLayer(0)
        try Self.send(Self.pattern(from: 32_764, count: 12, tl0: 11), publisher, from: &sequenceNumber)
        harness.endBurst()
        let got = try Self.read(subscriber.received().rtp)
        // Four frames of every layer, then only the TL0 frames: 32,764, 0 and 4.
        #expect(got.map(\.layer) == [0, 0, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0])
        Self.expectContinuous(got)
        #expect(got.map(\.picture).suffix(6) == [32_764, 32_764, 32_765, 32_765, 32_766, 32_766])
        #expect(consumer.filteredPackets == 18)
        #expect(consumer.currentTemporalLayer == 0)
    }

    @Test func aConsumerStepsUpAtLayerSyncFramesOnly() throws {
        let (harness, publisher, subscriber, consumer) = try Self.call()
        var sequenceNumber: UInt16 = 100
        consumer.setPreferredTemporalLayer(0)
        try Self.send(Self.pattern(from: 1, count: 4), publisher, from: &sequenceNumber)
        consumer.setPreferredTemporalLayer(nil)
        // No sync mark on the next TL2 and TL1 frames: they stay out until a sync frame.
        var frames = Self.pattern(from: 5, count: 8, tl0: 11)
        frames[1].sync = false
        frames[2].sync = false
        try Self.send(frames, publisher, from: &sequenceNumber)
        harness.endBurst()
        let got = try Self.read(subscriber.received().rtp)
        #expect(got.map(\.layer) == [0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 2, 2])
        Self.expectContinuous(got)
        #expect(consumer.currentTemporalLayer == 2)
    }

    @Test func aFrameInProgressIsFinishedWhenTheLayerGoesDown() throws {
        let (harness, publisher, subscriber, consumer) = try Self.call()
        let frames = Self.pattern(from: 1, count: 4)
        var sequenceNumber: UInt16 = 100
        try Self.send(Array(frames[0..<1]), publisher, from: &sequenceNumber)
        // The TL2 frame's first packet, then a lower preference, then its second.
        try publisher.send(Self.packet(frames[1], start: true, sequenceNumber))
        consumer.setPreferredTemporalLayer(0)
        try publisher.send(Self.packet(frames[1], start: false, sequenceNumber + 1))
        sequenceNumber += 2
        try Self.send(Array(frames[2...]) + Self.pattern(from: 5, count: 1, tl0: 11), publisher, from: &sequenceNumber)
        harness.endBurst()
        let got = try Self.read(subscriber.received().rtp)
        #expect(got.map(\.layer) == [0, 0, 2, 2, 0, 0])
        Self.expectContinuous(got)
    }

    @Test func aNACKAfterLeftOutFramesResendsThePacketTheSubscriberLost() throws {
        let (harness, publisher, subscriber, consumer) = try Self.call()
        consumer.setPreferredTemporalLayer(0)
        var sequenceNumber: UInt16 = 100
        try Self.send(Self.pattern(from: 1, count: 12), publisher, from: &sequenceNumber)
        harness.endBurst()
        let sent = try subscriber.received().rtp
        let got = try Self.read(sent)
        #expect(got.count == 6)
        // Every output maps back to the packet it was: the second packet of the second
        // TL0 frame (input 109) and the first of the third (input 116).
        consumer.retransmit([sent[3].sequenceNumber, sent[4].sequenceNumber])
        harness.endBurst()
        let resent = try subscriber.received().rtp
        #expect(resent.map(\.originalSequenceNumber) == [sent[3].sequenceNumber, sent[4].sequenceNumber])
        let resentPayloads = resent.map { Array($0.payload.readableBytesView.dropFirst(2)) }
        #expect(resentPayloads == [Array(sent[3].payload.readableBytesView), Array(sent[4].payload.readableBytesView)])
    }

    @Test func aMoveToAnotherStreamContinuesThePictureNumbers() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        func send(_ rid: String, _ ssrc: SSRC, _ sequenceNumber: UInt16, _ frame: Frame) throws {
            try publisher.send(Self.packet(frame, start: true, sequenceNumber, ssrc: ssrc, rid: rid))
        }
        try send("l", 0xA1, 1, Frame(picture: 700, tl0: 90, layer: 0, keyFrame: true))
        try send("l", 0xA1, 2, Frame(picture: 701, tl0: 90, layer: 2, sync: true))
        try send("h", 0xA3, 50, Frame(picture: 20_000, tl0: 3, layer: 1))
        consumer.setPreferredSpatialLayer(nil)
        try send("h", 0xA3, 51, Frame(picture: 20_001, tl0: 4, layer: 0, keyFrame: true))
        try send("l", 0xA1, 3, Frame(picture: 702, tl0: 90, layer: 1, sync: true))
        try send("h", 0xA3, 52, Frame(picture: 20_002, tl0: 4, layer: 2, sync: true))
        harness.endBurst()
        let got = try Self.read(subscriber.received().rtp)
        #expect(got.map(\.picture) == [700, 701, 702, 703])
        #expect(got.map(\.tl0) == [90, 90, 91, 91])
        Self.expectContinuous(got)
        #expect(consumer.currentSpatialLayer == 2)
    }
}
