import NIOCore
import RTP
import Testing

@testable import SFU

/// A VP9 SVC track (`L3T3_KEY`: three spatial layers in one stream, the higher ones
/// depending on the lower only in key pictures): a consumer forwards the spatial layers
/// its subscriber wants, going down at the next picture and up at a key picture, with
/// the marker bit on the last packet of each picture it forwards and no gap in sequence
/// numbers.
@Suite struct SVCLayerTests {
    /// One layer frame of picture `picture`, in non-flexible mode as Chromium sends
    /// `L3T3_KEY` (RFC 9628 §4.2): picture id (15 bits), layer indices and TL0PICIDX; a
    /// key picture's first packet carries the scalability structure (320x180, 640x360,
    /// 1280x720).
    static func payload(
        picture: UInt16,
        spatial: UInt8,
        temporal: UInt8 = 0,
        key: Bool,
        begins: Bool,
        ends: Bool,
        size: Int = 100
    ) -> [UInt8] {
        let structure = key && spatial == 0 && begins
        var bytes: [UInt8] = [
            0x80 | 0x20 | (key ? 0 : 0x40) | (begins ? 0x08 : 0) | (ends ? 0x04 : 0) | (structure ? 0x02 : 0),
            0x80 | UInt8(picture >> 8), UInt8(picture & 0xFF),
            temporal << 5 | spatial << 1 | (key && spatial > 0 ? 1 : 0), UInt8(truncatingIfNeeded: picture),
        ]
        if structure {
            bytes.append(2 << 5 | 0x10)
            for (width, height) in [(320, 180), (640, 360), (1280, 720)] as [(UInt16, UInt16)] {
                bytes += [UInt8(width >> 8), UInt8(width & 0xFF), UInt8(height >> 8), UInt8(height & 0xFF)]
            }
        }
        return bytes + Array(repeating: UInt8(spatial), count: size)
    }

    /// Sends picture `picture`: each of its three layer frames in two packets, the marker
    /// on the last; returns the next sequence number.
    static func sendPicture(
        _ picture: UInt16,
        key: Bool,
        temporal: UInt8 = 0,
        size: Int = 100,
        from sequenceNumber: UInt16,
        to publisher: MediaHarness.Leg
    ) throws -> UInt16 {
        var number = sequenceNumber
        for spatial: UInt8 in 0..<3 {
            for part in 0..<2 {
                try publisher.send(
                    rtpPacket(
                        ssrc: 0x1111,
                        sequenceNumber: number,
                        timestamp: UInt32(picture) &* 3_000,
                        payloadType: 96,
                        marker: spatial == 2 && part == 1,
                        payload: Self.payload(
                            picture: picture,
                            spatial: spatial,
                            temporal: temporal,
                            key: key,
                            begins: part == 0,
                            ends: part == 1,
                            size: size
                        )
                    )
                )
                number &+= 1
            }
        }
        return number
    }

    /// What the subscriber got: per packet, its spatial layer, marker and sequence number.
    static func received(_ leg: MediaHarness.Leg) throws -> [(spatial: UInt8, marker: Bool, number: UInt16)] {
        try leg.received().rtp.filter { $0.payloadType == 100 }.map { packet in
            let spatial = packet.withPayloadBytes { (try? VP9PayloadDescriptor(validating: $0))?.spatialLayer ?? 9 }
            return (spatial, packet.marker, packet.sequenceNumber.rawValue)
        }
    }

    @Test func aSubscriberGetsTheSpatialLayersItWantsOfOneStream() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice", videoCodec: "VP9")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first { $0.producer.kind == "video" })
        var number: UInt16 = 100
        number = try Self.sendPicture(1, key: true, from: number, to: publisher)
        harness.endBurst()
        #expect(consumer.producer.isSVC && !consumer.producer.isSimulcast)
        #expect(consumer.producer.spatialLayerSizes.map { $0?.width } == [320, 640, 1280])
        #expect(try Self.received(subscriber).map(\.spatial) == [0, 0, 1, 1, 2, 2])

        // Down to the lowest layer: from the next picture on, its layer frame alone, the
        // marker on its last packet, the numbers running on.
        consumer.setPreferredSpatialLayer(0)
        #expect(consumer.targetSpatialLayer == 0)
        for picture in UInt16(2)...3 { number = try Self.sendPicture(picture, key: false, from: number, to: publisher) }
        harness.endBurst()
        let low = try Self.received(subscriber)
        #expect(low.map(\.spatial) == [0, 0, 0, 0])
        #expect(low.map(\.marker) == [false, true, false, true])
        #expect(consumer.currentSpatialLayer == 0 && consumer.targetSpatialLayer == nil)
        #expect(consumer.filteredPackets == 8)

        // A tile of 600x300 wants the middle layer: it waits for a key picture, which
        // the consumer asks the publisher for.
        _ = try publisher.received()
        consumer.setPreferredSpatialLayer(nil)
        consumer.setPreferredSize(FrameSize(width: 600, height: 300))
        #expect(consumer.targetSpatialLayer == 1)
        harness.endBurst()
        let requests = try publisher.received().rtcp.filter {
            if case .pictureLossIndication = $0 { return true } else { return false }
        }
        #expect(requests.count == 1)
        number = try Self.sendPicture(4, key: false, from: number, to: publisher)
        number = try Self.sendPicture(5, key: true, from: number, to: publisher)
        harness.endBurst()
        let middle = try Self.received(subscriber)
        #expect(middle.map(\.spatial) == [0, 0, 0, 0, 1, 1])
        #expect(middle.map(\.marker) == [false, true, false, false, false, true])
        #expect(consumer.currentSpatialLayer == 1)
        // Every sequence number from the first packet on, once.
        let numbers = (low + middle).map(\.number)
        #expect(numbers == (0..<UInt16(numbers.count)).map { numbers[0] &+ $0 })

        // No preference: every layer again, the publisher's own markers.
        consumer.setPreferredSize(nil)
        _ = try Self.sendPicture(6, key: true, from: number, to: publisher)
        harness.endBurst()
        let all = try Self.received(subscriber)
        #expect(all.map(\.spatial) == [0, 0, 1, 1, 2, 2])
        #expect(all.map(\.marker) == [false, false, false, false, false, true])
        #expect(consumer.currentSpatialLayer == 2)
    }

    /// The allocator sees an SVC track's layers as a subscriber receives them: each one
    /// with the layers below it.
    @Test func anSVCTracksLayersCostWhatTheLayersBelowThemCostToo() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice", videoCodec: "VP9")
        var number: UInt16 = 0
        let start = ContinuousClock.now
        let producer = try #require(alice.producers.first { $0.kind == "video" })
        for second in 0..<3 {
            for picture in 0..<10 {
                number = try Self.sendPicture(
                    UInt16(second * 10 + picture),
                    key: picture == 0,
                    from: number,
                    to: publisher
                )
            }
            harness.endBurst()
            _ = producer.checkReceiving(now: start + .seconds(second))
        }
        let bitrates = producer.spatialLayerBitrates.compactMap { $0 }
        #expect(bitrates.count == 3)
        #expect(bitrates[0] > 0 && bitrates[1] > bitrates[0] && bitrates[2] > bitrates[1])
        // Equal layer frames: up to the middle layer, about twice the lowest.
        #expect(abs(Double(bitrates[1]) / Double(bitrates[0]) - 2) < 0.2)
    }

    /// A link with no room for the lowest layer pauses the track; with room again, it
    /// resumes at the next key picture, in the layers the link allows.
    @Test func anSVCTrackPausedForBandwidthResumesAtAKeyPicture() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice", videoCodec: "VP9")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first { $0.producer.kind == "video" })
        var number = try Self.sendPicture(1, key: true, from: 0, to: publisher)
        harness.endBurst()
        _ = try Self.received(subscriber)
        let start = ContinuousClock.now
        consumer.allowBandwidthLevel(keeping: -1, climbing: -1, now: start)
        #expect(consumer.isSuspended)
        number = try Self.sendPicture(2, key: false, from: number, to: publisher)
        harness.endBurst()
        #expect(try Self.received(subscriber).isEmpty)
        // Room for the lowest layer after the hold: the next key picture, its lowest layer.
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(1))
        #expect(consumer.isSuspended && consumer.currentSpatialLayer == nil)
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(4))
        consumer.selectLayer()
        #expect(!consumer.isSuspended && consumer.spatialTarget == 0)
        number = try Self.sendPicture(3, key: false, from: number, to: publisher)
        _ = try Self.sendPicture(4, key: true, from: number, to: publisher)
        harness.endBurst()
        let resumed = try Self.received(subscriber)
        #expect(resumed.map(\.spatial) == [0, 0])
        #expect(resumed.map(\.marker) == [false, true])
        #expect(consumer.currentSpatialLayer == 0)
    }

    /// A link with room for less than the lowest spatial layer lowers its frame rate
    /// before it pauses the track, as for simulcast: the lowest spatial layer's temporal
    /// layers are measured apart from the layers above it.
    @Test func anSVCTracksLowestLayerGivesUpFrameRateBeforeItIsPaused() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice", videoCodec: "VP9")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first { $0.producer.kind == "video" })
        let producer = consumer.producer
        // L3T3 at 30 pictures a second: 0, 2, 1, 2; each layer frame 2 kB, so the lowest
        // spatial layer is 480 kbit/s, its base temporal layer 120 kbit/s.
        var number: UInt16 = 0
        let start = ContinuousClock.now
        for second in 0..<3 {
            for index in 0..<30 {
                let picture = second * 30 + index
                number = try Self.sendPicture(
                    UInt16(picture),
                    key: picture == 0,
                    temporal: [0, 2, 1, 2][index % 4],
                    size: 1_000,
                    from: number,
                    to: publisher
                )
            }
            harness.endBurst()
            _ = producer.checkReceiving(now: start + .seconds(second))
        }
        _ = try subscriber.received()
        let stream = try #require(producer.streams.first)
        let lowest = try #require(producer.spatialLayerBitrates.first ?? nil)
        let steps = stream.temporalBitrates.map(\.bitsPerSecond)
        #expect(steps.count == 3)
        #expect(abs(Double(try #require(steps.last)) / Double(lowest) - 1) < 0.05, "\(steps) against \(lowest)")
        #expect(abs(Double(steps[0]) / Double(lowest) - 0.25) < 0.05)
        // The estimate a subscriber link starts with (300 kbit/s) holds the lowest layer
        // at half its frame rate, not the whole of it.
        subscriber.path.estimator = BandwidthEstimator()
        bob.allocateLayers(on: subscriber.path, now: start + .seconds(3), activeSpeaker: nil)
        #expect(!consumer.isSuspended)
        #expect(consumer.bandwidthLayer == 0)
        #expect(consumer.bandwidthTemporalLayer == 1, "\(String(describing: consumer.bandwidthLevel))")
        #expect(consumer.layerLimit == "bandwidth")
    }
}
