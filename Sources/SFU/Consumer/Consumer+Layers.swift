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

    /// Picks the stream to forward: the highest active stream at or below the preferred
    /// layer, else the lowest active one (a publisher with too little uplink stops its
    /// higher encodings); with none active, the highest allowed, for when it starts. When
    /// that is not the stream forwarded now, the consumer moves to it at its next key
    /// frame, which it asks for (throttled, and again at every check until it comes).
    func selectLayer() {
        guard self.producer.isSimulcast else { return }
        let allowed = self.preferredSpatialLayer ?? Int.max
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
