/// Which stream of a simulcast track a consumer forwards: the highest the subscriber's
/// preference allows among those the publisher is sending. This is the control plane:
/// it runs when a preference changes and at the room's once-a-second check, never per
/// packet; the move itself happens at a key frame (`Consumer.forward`).
extension Consumer {
    /// Sets the highest spatial layer the subscriber wants (`nil`: the highest there is)
    /// and picks the stream to forward.
    func setPreferredSpatialLayer(_ layer: Int?) {
        self.preferredSpatialLayer = layer
        self.selectLayer()
    }

    /// How long an allocation must allow a higher layer before the consumer takes it:
    /// a link's estimate that rose must hold, and the layer's first key frame costs.
    static let upgradeHold: Duration = .seconds(3)

    /// Takes the layer the link has room for. `keeping` is the highest that still fits:
    /// above it, the consumer goes down to it at once. `climbing` is the highest that fits
    /// with a margin: the consumer goes up to it once it has for `upgradeHold`. The first
    /// allocation counts from the lowest layer: a link's first estimates come from short
    /// probes, which a bursty link passes faster than it carries media.
    func allowBandwidthLayer(keeping: Int, climbing: Int, now: ContinuousClock.Instant) {
        let current = self.bandwidthLayer ?? 0
        self.bandwidthLayer = current
        if current > keeping {
            self.bandwidthLayer = keeping
            self.upgradeAllowedSince = nil
        } else if climbing > current {
            let since = self.upgradeAllowedSince ?? now
            self.upgradeAllowedSince = since
            if now - since >= Self.upgradeHold {
                self.bandwidthLayer = climbing
                self.upgradeAllowedSince = nil
            }
        } else {
            self.upgradeAllowedSince = nil
        }
    }

    /// Picks the stream to forward: the highest active stream at or below the preferred
    /// layer and the link's room, else the lowest active one (a publisher with too little uplink stops its
    /// higher encodings); with none active, the highest allowed, for when it starts. When
    /// that is not the stream forwarded now, the consumer moves to it at its next key
    /// frame, which it asks for (throttled, and again at every check until it comes).
    func selectLayer() {
        guard self.producer.isSimulcast else { return }
        let allowed = min(self.preferredSpatialLayer ?? Int.max, self.bandwidthLayer ?? Int.max)
        let active = self.producer.streams.filter(\.isActive)
        let choice =
            active.last { $0.spatialLayer <= allowed } ?? active.first
            ?? self.producer.streams.last { $0.spatialLayer <= allowed } ?? self.producer.streams[0]
        guard choice !== self.source else {
            self.target = nil
            return
        }
        self.target = choice
        if self.path.isConnected, !self.isPaused { choice.requestKeyFrame() }
    }

    /// The spatial layer it forwards, and the one it moves to at the next key frame.
    public var currentSpatialLayer: Int? { self.source?.spatialLayer }
    public var targetSpatialLayer: Int? { self.target?.spatialLayer }
}
