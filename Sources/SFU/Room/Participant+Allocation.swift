import RTP

/// A subscriber's simulcast layers from its link's estimate: the control plane, once a
/// second with the room's layer check, never per packet.
extension Participant {
    /// Gives each simulcast consumer the highest layer its share of the subscribing link
    /// allows (`LayerAllocator`): lower at once when what it has no longer fits, higher
    /// only when the higher layer fits in `climbingShare` of the estimate (the margin
    /// keeps a layer that only just fits from coming and going with the estimate) and
    /// has for `Consumer.upgradeHold`. Before the first estimate, a consumer whose
    /// subscriber sends transport-wide feedback stays on the lowest layer; one that sends
    /// none has no estimate, and its link sets no limit. The allocation is of what the link could carry
    /// if every track wanted its highest layer, so that a subscriber who asks for a lower
    /// layer and then a higher one again gets it at once when the link allows.
    ///
    /// The active speaker's video goes first in each round of the allocation, and keeps
    /// its lowest step when nothing fits.
    func allocateLayers(now: ContinuousClock.Instant, activeSpeaker: String? = nil) {
        guard let path = self.subscribeTransport?.media else { return }
        self.allocateLayers(on: path, now: now, activeSpeaker: activeSpeaker)
    }

    /// The allocation on the subscribing link `path`.
    func allocateLayers(on path: MediaPath, now: ContinuousClock.Instant, activeSpeaker: String?) {
        let simulcast = self.consumers.filter { $0.producer.isLayered && !$0.isPaused }
        guard !simulcast.isEmpty else { return }
        let fixed = self.consumers.lazy.filter { !$0.producer.isLayered && !$0.isPaused }
            .map { $0.producer.streams.reduce(0) { $0 + Self.onTheWire($1) } }.reduce(0, +)
        let tracks = simulcast.map { consumer in
            // The lowest layer's frame-rate steps: of the lowest simulcast stream, or of
            // an SVC stream's lowest spatial layer (measured apart from the rest).
            let lowest = consumer.producer.streams.first { $0.isActive }
            let layers = consumer.producer.spatialLayerBitrates
            return LayerAllocator.Track(
                layerBitrates: layers.map { $0.map(Self.onTheWire) },
                preferredLayer: layers.count - 1,
                priority: consumer.producer.participantID == activeSpeaker ? 1 : 0,
                baseTemporalBitrates: Self.temporalBitrates(of: lowest)
            )
        }
        for (consumer, track) in zip(simulcast, tracks) {
            // The ladder's whole layers move up or down with the steps below them.
            let steps = max(0, track.baseTemporalBitrates.count - 1)
            if let level = consumer.bandwidthLevel, level >= consumer.baseTemporalSteps {
                consumer.bandwidthLevel = level - consumer.baseTemporalSteps + steps
            }
            consumer.baseTemporalSteps = steps
        }
        guard let estimate = path.availableBitrate else {
            for consumer in simulcast {
                consumer.bandwidthLevel = consumer.extensions?.transportWideID != nil ? consumer.baseTemporalSteps : nil
                consumer.applyBandwidthLevel()
            }
            return
        }
        let kept = LayerAllocator.allocate(budget: estimate, fixed: fixed, tracks: tracks)
        let climbed = LayerAllocator.allocate(
            budget: Int(Double(estimate) * Self.climbingShare),
            fixed: fixed,
            tracks: tracks
        )
        for (consumer, (keep, climb)) in zip(simulcast, zip(kept, climbed)) {
            guard let keep = Self.level(keep, steps: consumer.baseTemporalSteps) else { continue }
            let climbing = Self.level(climb, steps: consumer.baseTemporalSteps) ?? keep
            consumer.allowBandwidthLevel(keeping: keep, climbing: climbing, now: now)
        }
    }

    /// A share's step on a consumer's ladder (`Consumer.bandwidthLevel`): -1 paused, a
    /// temporal layer of the lowest layer, or `steps` plus the spatial layer; `nil` for no
    /// layer sent.
    static func level(_ share: LayerAllocator.Share, steps: Int) -> Int? {
        if share.paused { return -1 }
        guard let layer = share.layer else { return nil }
        if let temporal = share.temporalLayer, temporal < steps { return temporal }
        return steps + layer
    }

    /// A stream's bitrate up to each of its temporal layers on the wire, once each was
    /// measured; empty before, and for a stream without temporal layers.
    static func temporalBitrates(of stream: ProducerStream?) -> [Int] {
        let bitrates = stream?.temporalBitrates.map { $0.bitsPerSecond * 11 / 10 } ?? []
        return bitrates.allSatisfy { $0 > 0 } ? bitrates : []
    }

    /// The share of the estimate a layer must fit in for the consumer to move up to it.
    static let climbingShare = 0.75

    /// A stream's bitrate as the subscriber's link carries it: its payload, measured, and
    /// about 10 % more for the RTP, SRTP, UDP and IP headers of each packet (some 80
    /// bytes on packets of about 1,000).
    static func onTheWire(_ stream: ProducerStream) -> Int {
        Self.onTheWire(stream.bitrate.bitsPerSecond)
    }

    static func onTheWire(_ payloadBitrate: Int) -> Int {
        payloadBitrate * 11 / 10
    }
}
