import RTP

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

    /// Sets the size the subscriber shows the track at (`nil`: no limit) and picks the
    /// stream to forward.
    func setPreferredSize(_ size: FrameSize?) {
        self.preferredSize = size
        self.selectLayer()
    }

    /// The highest spatial layer the subscriber's preferences allow: its preferred layer,
    /// and the lowest stream whose key frames cover the size it shows the track at (a
    /// larger one would be scaled down: bandwidth and decoding spent for nothing). Streams
    /// whose size is not known yet do not count.
    var preferenceLayer: Int {
        var layer = self.preferredSpatialLayer ?? Int.max
        if let wanted = self.preferredSize,
            let covering = self.producer.spatialLayerSizes.firstIndex(where: { size in
                guard let size else { return false }
                return size.width >= wanted.width && size.height >= wanted.height
            })
        {
            layer = min(layer, covering)
        }
        return layer
    }

    /// How long an allocation must allow a higher layer before the consumer takes it:
    /// a link's estimate that rose must hold, and the layer's first key frame costs.
    static let upgradeHold: Duration = .seconds(3)

    /// Takes the step the link has room for, on the consumer's ladder (`bandwidthLevel`).
    /// `keeping` is the highest that still fits: above it, the consumer goes down to it at
    /// once. `climbing` is the highest that fits with a margin: the consumer goes up to it
    /// once it has for `upgradeHold`. The first allocation counts from the whole lowest
    /// layer: a link's first estimates come from short probes, which a bursty link passes
    /// faster than it carries media.
    func allowBandwidthLevel(keeping: Int, climbing: Int, now: ContinuousClock.Instant) {
        let current = self.bandwidthLevel ?? self.baseTemporalSteps
        self.bandwidthLevel = current
        if current > keeping {
            self.bandwidthLevel = keeping
            self.upgradeAllowedSince = nil
        } else if climbing > current {
            let since = self.upgradeAllowedSince ?? now
            self.upgradeAllowedSince = since
            if now - since >= Self.upgradeHold {
                self.bandwidthLevel = climbing
                self.upgradeAllowedSince = nil
            }
        } else {
            self.upgradeAllowedSince = nil
        }
        self.applyBandwidthLevel()
    }

    /// The highest spatial layer the link has room for; `nil` before the first
    /// allocation.
    public var bandwidthLayer: Int? {
        self.bandwidthLevel.map { max(0, $0 - self.baseTemporalSteps) }
    }

    /// The highest temporal layer of the lowest spatial layer the link has room for, when
    /// not all of them; `nil` otherwise.
    public var bandwidthTemporalLayer: Int? {
        guard let level = self.bandwidthLevel, level >= 0, level < self.baseTemporalSteps else { return nil }
        return level
    }

    /// Applies the step: the temporal target, and suspending or resuming.
    func applyBandwidthLevel() {
        self.updateTemporalTarget()
        let suspend = (self.bandwidthLevel ?? 0) < 0
        guard suspend != self.isSuspended else { return }
        self.isSuspended = suspend
        if suspend {
            self.source = nil
            self.target = nil
            self.silentSince = .now
        }
        self.didChangeLayer?(self)
    }

    /// Picks the stream to forward: the highest active stream at or below the preferred
    /// layer and the link's room, else the lowest active one (a publisher with too little uplink stops its
    /// higher encodings); with none active, the highest allowed, for when it starts. When
    /// that is not the stream forwarded now, the consumer moves to it at its next key
    /// frame, which it asks for (throttled, and again at every check until it comes).
    func selectLayer() {
        guard !self.isSuspended else { return }
        guard self.producer.isSimulcast else { return self.selectLayerInStream() }
        let allowed = min(self.preferenceLayer, self.bandwidthLayer ?? Int.max)
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

    /// Asks again for the key frame a consumer waits for to go on (after a pause or a
    /// switch): the request, or the key frame, may have been lost, or the publisher's
    /// encoder may have let it pass.
    func requestMissingKeyFrame() {
        guard let target = self.target, self.path.isConnected, !self.isPaused, !self.isSuspended else { return }
        target.requestKeyFrame()
    }

    /// Why the consumer forwards less than the publisher sends, for `/admin/rooms`:
    /// `paused`, `bandwidth` (its link has no room for the highest stream sent),
    /// `preference` (the subscriber asked for less), or `nil`.
    public var layerLimit: String? {
        if self.isPaused { return "paused" }
        if self.isSuspended || self.bandwidthTemporalLayer != nil { return "bandwidth" }
        let top = self.producer.spatialLayerBitrates.lastIndex { $0 != nil } ?? 0
        if self.producer.hasSpatialLayers, let bandwidth = self.bandwidthLayer, bandwidth < top,
            bandwidth < self.preferenceLayer
        {
            return "bandwidth"
        }
        if self.producer.hasSpatialLayers, self.preferenceLayer < top { return "preference" }
        return self.preferredTemporalLayer == nil ? nil : "preference"
    }

    /// The spatial layer it forwards (the simulcast stream, or the layer inside an SVC
    /// stream), and the one it moves to at the next key frame.
    public var currentSpatialLayer: Int? {
        guard self.producer.isSVC else { return self.source?.spatialLayer }
        return self.source == nil ? nil : self.layerInStream(self.spatialLayerInStream)
    }
    public var targetSpatialLayer: Int? {
        guard self.producer.isSVC else { return self.target?.spatialLayer }
        return self.spatialTarget == self.spatialLayerInStream ? nil : self.layerInStream(self.spatialTarget)
    }
}

/// Which temporal layers a consumer forwards: per packet, on the path of frames above the
/// layer it forwards (or of every frame while it moves down).
extension Consumer {
    /// Whether the frame `packet` belongs to goes to the subscriber: the rest of the frame
    /// being forwarded does; a frame in the layer forwarded or below does; a frame above
    /// it does when it starts at a layer sync point within the target (the step up).
    /// Moves the layer forwarded down to the target first.
    func admitsFrame(of packet: RTPPacket, _ layers: PacketLayers) -> Bool {
        if !layers.startsFrame, let offsets = self.rewriter.offsets,
            packet.timestamp.rawValue &+ offsets.timestamp == self.rewriter.lastOutputTimestamp?.rawValue
        {
            return true
        }
        if self.temporalTarget < self.temporalLayer {
            self.temporalLayer = self.temporalTarget
            self.didChangeLayer?(self)
        }
        if layers.temporalLayer <= self.temporalLayer { return true }
        if layers.temporalLayer <= self.temporalTarget, layers.isLayerSync, layers.startsFrame {
            self.temporalLayer = layers.temporalLayer
            self.didChangeLayer?(self)
            return true
        }
        return false
    }

    /// Leaves out a packet of a frame above the layer forwarded: its sequence number and
    /// picture number go to the next packet forwarded, so the subscriber sees no gap.
    func filter(_ packet: RTPPacket, _ layers: PacketLayers) {
        self.filteredPackets &+= 1
        self.rewriter.skip(sequenceNumber: packet.sequenceNumber)
        self.pictures.drop(layers)
    }

    /// Sets the highest temporal layer the subscriber wants (`nil`: all of them).
    func setPreferredTemporalLayer(_ layer: Int?) {
        self.preferredTemporalLayer = layer
        self.updateTemporalTarget()
    }

    /// The temporal layer to forward: the lower of the preference and what the link has
    /// room for.
    func updateTemporalTarget() {
        let preferred = self.preferredTemporalLayer.map { UInt8(clamping: max(0, $0)) } ?? .max
        let bandwidth = self.bandwidthTemporalLayer.map { UInt8(clamping: $0) } ?? .max
        self.temporalTarget = min(preferred, bandwidth)
    }

    /// The temporal layer it forwards now, when it filters any (`nil`: every layer, or a
    /// stream without temporal layers).
    public var currentTemporalLayer: Int? {
        guard self.temporalLayer != .max, (self.source?.temporalLayerCount ?? 1) > 1 else { return nil }
        return Int(self.temporalLayer)
    }
}

/// Which spatial layers of a stream that carries them inside (VP9 SVC, `L3T3_KEY`) a
/// consumer forwards: per packet, on the path of layer frames above the one it forwards.
/// A picture's layers share its timestamp and picture id; the marker bit ends the
/// picture, and the decoder shows the highest layer it got.
extension Consumer {
    /// Whether `packet`'s layer frame goes to the subscriber: one at or below the layer
    /// forwarded does. The layer forwarded moves down to the target where a picture
    /// starts (`L3T3_KEY`'s higher layers depend on the lower ones only in key pictures),
    /// and up where a key picture starts.
    @inline(__always)
    func admitsLayerFrame(_ layers: PacketLayers) -> Bool {
        if self.spatialTarget != self.spatialLayerInStream,
            self.spatialTarget < self.spatialLayerInStream ? layers.startsFrame : layers.isKeyFrame
        {
            self.spatialLayerInStream = self.spatialTarget
            self.didChangeLayer?(self)
        }
        return layers.spatialLayer <= self.spatialLayerInStream
    }

    /// Leaves out a packet of a layer frame above the one forwarded: its sequence number
    /// goes to the next packet forwarded. The picture goes on in the lower layers: its
    /// picture id stays.
    func filterLayerFrame(_ packet: RTPPacket) {
        self.filteredPackets &+= 1
        self.rewriter.skip(sequenceNumber: packet.sequenceNumber)
    }

    /// Whether a forwarded packet ends the subscriber's picture: the last packet of the
    /// highest spatial layer it forwards (the publisher marks the end of the whole
    /// picture, whose higher layers the consumer leaves out).
    @inline(__always)
    func endsPicture(_ layers: PacketLayers) -> Bool {
        self.spatialLayerInStream != .max && layers.endsLayerFrame && layers.spatialLayer == self.spatialLayerInStream
    }

    /// Sets the spatial layer to forward of a track sent in one stream, of an SVC stream's
    /// several: the lower of the preference and the link's room, all of them when both
    /// allow the highest. A step up waits for a key picture, which it asks for; so does
    /// the stream after a pause for bandwidth.
    func selectLayerInStream() {
        guard let stream = self.producer.streams.first else { return }
        if self.source !== stream, self.target !== stream {
            // Resuming after a pause for bandwidth: at the stream's next key picture.
            self.target = stream
            if self.path.isConnected, !self.isPaused { stream.requestKeyFrame() }
        }
        let allowed = min(self.preferenceLayer, self.bandwidthLayer ?? Int.max)
        let target = allowed >= stream.spatialLayerCount - 1 ? UInt8.max : UInt8(clamping: max(0, allowed))
        guard target != self.spatialTarget else { return }
        self.spatialTarget = target
        if target > self.spatialLayerInStream, self.path.isConnected, !self.isPaused { stream.requestKeyFrame() }
    }

    /// A spatial layer inside the stream as a number (`UInt8.max`, every layer: the highest).
    func layerInStream(_ layer: UInt8) -> Int {
        layer == .max ? (self.producer.streams.first?.spatialLayerCount ?? 1) - 1 : Int(layer)
    }
}
