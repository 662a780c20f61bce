import Testing

@testable import SFU

/// The allocator shares a subscriber's estimate among its simulcast tracks: the lowest
/// layer of each first, then one layer per round in priority order, within 90 % of the
/// estimate after what cannot adapt.
@Suite struct LayerAllocatorTests {
    /// janus.js's three layers as Chromium sends them from a 1280x720 camera, bit/s.
    static let layers: [Int?] = [100_000, 300_000, 800_000]

    func layers(budget: Int?, fixed: Int = 0, _ tracks: [LayerAllocator.Track]) -> [Int?] {
        LayerAllocator.allocate(budget: budget, fixed: fixed, tracks: tracks).map(\.layer)
    }

    @Test func oneTrackGetsTheHighestLayerThatFits() {
        let track = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2)
        #expect(self.layers(budget: 2_000_000, [track]) == [2])
        // 90 % of 900 kbit/s is 810 kbit/s: the top layer alone is 800 kbit/s, but the
        // layers are alternatives, so it fits.
        #expect(self.layers(budget: 900_000, [track]) == [2])
        #expect(self.layers(budget: 800_000, [track]) == [1])
        #expect(self.layers(budget: 400_000, fixed: 50_000, [track]) == [1])
        #expect(self.layers(budget: 300_000, [track]) == [0])
        // Without an estimate, the preference alone decides.
        #expect(self.layers(budget: nil, [track]) == [2])
    }

    @Test func aPreferenceCapsTheLayerAndAStoppedLayerIsSkipped() {
        #expect(self.layers(budget: 5_000_000, [.init(layerBitrates: Self.layers, preferredLayer: 0)]) == [0])
        let withoutMiddle = LayerAllocator.Track(layerBitrates: [100_000, nil, 800_000], preferredLayer: 2)
        #expect(self.layers(budget: 5_000_000, [withoutMiddle]) == [2])
        #expect(self.layers(budget: 500_000, [withoutMiddle]) == [0])
        let onlyTop = LayerAllocator.Track(layerBitrates: [nil, nil, 800_000], preferredLayer: 0)
        #expect(self.layers(budget: nil, [onlyTop]) == [2])
        #expect(self.layers(budget: 5_000_000, [.init(layerBitrates: [nil, nil, nil], preferredLayer: 2)]) == [nil])
    }

    @Test func tracksClimbInRoundsByPriority() {
        let camera = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2)
        let screen = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2, priority: 1)
        // 1.2 Mbit/s usable: both low (200k), both middle (600k), then the screen share
        // goes up first (1.1M); the camera stays in the middle.
        #expect(self.layers(budget: 1_340_000, [camera, screen]) == [1, 2])
        // 630 kbit/s usable: both middle would be 600k; both get it.
        #expect(self.layers(budget: 700_000, [camera, screen]) == [1, 1])
        // 414 kbit/s usable: after both low layers (200k), the screen share's middle
        // layer (+200k) fits, the camera's does not after it.
        #expect(self.layers(budget: 460_000, [camera, screen]) == [0, 1])
        #expect(self.layers(budget: 400_000, [camera, screen]) == [0, 0])
    }

    @Test func aTrackWhoseLowestLayerDoesNotFitIsPaused() {
        let camera = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2)
        let screen = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2, priority: 1)
        let shares = LayerAllocator.allocate(budget: 150_000, fixed: 0, tracks: [camera, screen])
        #expect(shares.map(\.layer) == [nil, 0])
        #expect(shares.map(\.paused) == [true, false])
    }

    @Test func aLowerLayerIsTakenAtOnceAHigherOneOnlyAfterItHeld() throws {
        let harness = try MediaHarness()
        let (alice, _) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, _) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        let start = ContinuousClock.now - .seconds(10)
        // The first allocation starts from the lowest layer, and climbs after the hold.
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start - .seconds(3))
        #expect(consumer.bandwidthLayer == 0)
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start)
        #expect(consumer.bandwidthLayer == 2)
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(1))
        #expect(consumer.bandwidthLayer == 0)
        // Layer 2 would fit, but not with the margin: the consumer stays.
        consumer.allowBandwidthLevel(keeping: 2, climbing: 0, now: start + .seconds(2))
        #expect(consumer.bandwidthLayer == 0)
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start + .seconds(2))
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start + .seconds(4))
        #expect(consumer.bandwidthLayer == 0)
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start + .seconds(5))
        #expect(consumer.bandwidthLayer == 2)
        // An allocation that dips in between starts the wait again.
        consumer.allowBandwidthLevel(keeping: 1, climbing: 1, now: start + .seconds(6))
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start + .seconds(7))
        consumer.allowBandwidthLevel(keeping: 2, climbing: 1, now: start + .seconds(8))
        consumer.allowBandwidthLevel(keeping: 2, climbing: 2, now: start + .seconds(10))
        #expect(consumer.bandwidthLayer == 1)
        // Within what fits, a layer that no longer fits with the margin is kept.
        consumer.allowBandwidthLevel(keeping: 1, climbing: 0, now: start + .seconds(11))
        #expect(consumer.bandwidthLayer == 1)
    }
}

extension LayerAllocatorTests {
    @Test func aLowestLayerThatDoesNotFitGivesUpFrameRateBeforeItPauses() {
        // The lowest layer up to temporal layers 0, 1 and 2 (the whole layer).
        let camera = LayerAllocator.Track(
            layerBitrates: Self.layers,
            preferredLayer: 2,
            baseTemporalBitrates: [50_000, 75_000, 100_000]
        )
        let screen = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2, priority: 1)
        // 162 kbit/s usable: the screen share's lowest layer (100k), then the camera's
        // temporal layers 0 and 1 (75k) do not fit, layer 0 alone (50k) does.
        let shares = LayerAllocator.allocate(budget: 180_000, fixed: 0, tracks: [camera, screen])
        #expect(shares[0] == .init(layer: 0, temporalLayer: 0, paused: false))
        #expect(shares[1] == .init(layer: 0, temporalLayer: nil, paused: false))
        // 130 kbit/s usable: no room for any of the camera's.
        #expect(LayerAllocator.allocate(budget: 145_000, fixed: 0, tracks: [camera, screen])[0].paused)
    }

    @Test func theSubscriberKeepsOneVideoWhenNothingFits() {
        let camera = LayerAllocator.Track(
            layerBitrates: Self.layers,
            preferredLayer: 2,
            baseTemporalBitrates: [50_000, 75_000, 100_000]
        )
        let other = LayerAllocator.Track(layerBitrates: Self.layers, preferredLayer: 2)
        let shares = LayerAllocator.allocate(budget: 40_000, fixed: 0, tracks: [other, camera])
        // The first track in priority order keeps its lowest step: the other has no
        // temporal layers to give up, so its whole lowest layer.
        #expect(shares[0] == .init(layer: 0, temporalLayer: nil, paused: false))
        #expect(shares[1].paused)
        let alone = LayerAllocator.allocate(budget: 40_000, fixed: 0, tracks: [camera])
        #expect(alone == [.init(layer: 0, temporalLayer: 0, paused: false)])
    }
}
