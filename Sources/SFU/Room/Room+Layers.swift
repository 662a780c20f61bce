public import RTP

/// Simulcast layer choice per subscriber: preferences from the faces, and the
/// once-a-second look at which streams publishers are sending.
extension Room {
    /// Sets the highest spatial layer (0 the lowest stream; `nil`: the highest there is)
    /// a subscriber wants of the track in its section `mid`, or of every section when
    /// `mid` is `nil`. A single-stream track ignores it.
    public func setPreferredSpatialLayer(_ layer: Int?, participantID: String, mid: String? = nil) throws(SFUError) {
        for consumer in try self.subscribed(participantID, mid: mid) { consumer.setPreferredSpatialLayer(layer) }
    }

    /// Sets the size (in device pixels; `nil`: no limit) a subscriber shows the track in
    /// its section `mid` at, or every section's when `mid` is `nil`: a simulcast track is
    /// forwarded in the lowest stream that covers it.
    public func setPreferredSize(_ size: FrameSize?, participantID: String, mid: String? = nil) throws(SFUError) {
        for consumer in try self.subscribed(participantID, mid: mid) { consumer.setPreferredSize(size) }
    }

    /// Sets the highest temporal layer (0 the base; `nil`: every layer) a subscriber
    /// wants of the track in its section `mid`, or of every section when `mid` is `nil`.
    /// A track sent without temporal layers ignores it.
    public func setPreferredTemporalLayer(_ layer: Int?, participantID: String, mid: String? = nil) throws(SFUError) {
        for consumer in try self.subscribed(participantID, mid: mid) { consumer.setPreferredTemporalLayer(layer) }
    }

    /// The consumers of `participantID`'s section `mid`, or of every section when `mid`
    /// is `nil`; a `mid` it does not subscribe with is an error.
    private func subscribed(_ participantID: String, mid: String?) throws(SFUError) -> [Consumer] {
        guard let participant = self.participants[participantID] else { throw .unknownParticipant(participantID) }
        let consumers = participant.consumers.filter { mid == nil || $0.mid == mid }
        if let mid, consumers.isEmpty { throw .negotiation("no subscribed section with mid \(mid)") }
        return consumers
    }

    /// Starts forwarding `consumer`'s track to its subscriber, who is told when it moves
    /// to another spatial or temporal layer.
    func attach(_ consumer: Consumer, subscriber participantID: String) {
        var told: (spatial: Int?, temporal: Int?, paused: Bool) = (nil, nil, false)
        consumer.didChangeLayer = { [weak self] consumer in
            let spatial = consumer.producer.hasSpatialLayers ? consumer.currentSpatialLayer : nil
            let temporal = consumer.currentTemporalLayer
            let paused = consumer.isSuspended
            let change = (
                spatial: spatial == told.spatial ? nil : spatial,
                temporal: temporal == told.temporal ? nil : temporal,
                paused: paused == told.paused ? nil : paused
            )
            told = (spatial ?? told.spatial, temporal ?? told.temporal, paused)
            guard change.spatial != nil || change.temporal != nil || change.paused != nil else { return }
            self?.onEvent?(
                .layerChanged(
                    participantID: participantID,
                    mid: consumer.mid,
                    spatialLayer: change.spatial,
                    temporalLayer: change.temporal,
                    paused: change.paused,
                    isSVC: consumer.producer.isSVC
                )
            )
        }
        consumer.producer.consumers.append(consumer)
    }

    /// Moves every simulcast consumer to the best stream it can have now (a stream that
    /// stopped or started, a key frame still missing), and asks again for the key frame
    /// any consumer still waits for (the publisher's throttle drops what the layer
    /// choice just asked for).
    func selectLayers(now: ContinuousClock.Instant = .now) {
        for participant in self.participants.values {
            self.selectLayers(of: participant, now: now)
            for consumer in participant.consumers { consumer.requestMissingKeyFrame() }
        }
    }

    private func selectLayers(of participant: Participant, now: ContinuousClock.Instant) {
        participant.allocateLayers(now: now, activeSpeaker: self.activeSpeaker)
        for consumer in participant.consumers where consumer.producer.isLayered { consumer.selectLayer() }
    }

    /// Routes the feedback of `participant`'s subscribing path, and shares its link out
    /// again as soon as the estimate falls, between the once-a-second rounds: on a link
    /// that only just carries the lowest layer, the second until the next round filled
    /// its queue and froze the video for 1.5 s.
    func routeFeedback(of participant: Participant, from path: MediaPath) {
        participant.routeFeedback(from: path)
        var last = Int.max
        path.didUpdateEstimate = { [weak self, weak participant] estimate in
            defer { last = estimate }
            guard estimate < last, let self, let participant else { return }
            self.selectLayers(of: participant, now: .now)
        }
    }
}
