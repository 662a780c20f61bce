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
    func allocateLayers(now: ContinuousClock.Instant) {
        guard let path = self.subscribeTransport?.media else { return }
        let simulcast = self.consumers.filter { $0.producer.isSimulcast && !$0.isPaused }
        guard !simulcast.isEmpty else { return }
        let fixed = self.consumers.lazy.filter { !$0.producer.isSimulcast && !$0.isPaused }
            .map { $0.producer.streams.reduce(0) { $0 + Self.onTheWire($1) } }.reduce(0, +)
        let tracks = simulcast.map { consumer in
            LayerAllocator.Track(
                layerBitrates: consumer.producer.streams.map { $0.isActive ? Self.onTheWire($0) : nil },
                preferredLayer: consumer.producer.streams.count - 1
            )
        }
        guard let estimate = path.availableBitrate else {
            for consumer in simulcast {
                consumer.bandwidthLayer = consumer.extensions?.transportWideID != nil ? 0 : nil
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
            guard let keep = keep.layer else { continue }
            consumer.allowBandwidthLayer(keeping: keep, climbing: climb.layer ?? keep, now: now)
        }
    }

    /// The share of the estimate a layer must fit in for the consumer to move up to it.
    static let climbingShare = 0.75

    /// A stream's bitrate as the subscriber's link carries it: its payload, measured, and
    /// about 10 % more for the RTP, SRTP, UDP and IP headers of each packet (some 80
    /// bytes on packets of about 1,000).
    static func onTheWire(_ stream: ProducerStream) -> Int {
        stream.bitrate.bitsPerSecond * 11 / 10
    }
}
