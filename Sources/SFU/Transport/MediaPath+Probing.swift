import ICE

/// Bandwidth probes on a subscriber's path (`BandwidthProber`): started after the
/// subscriber's feedback, paced by the connection's timer (or a test's calls to
/// `probe(now:)`), measured from the feedback on them.
extension MediaPath {
    /// After transport-wide feedback: the probes it measured go to the prober, and a new
    /// probe starts when the prober says so. Probing needs a way to send probe packets
    /// (`BandwidthProber.sendPacket`).
    func updateProbing(_ measured: [BandwidthEstimator.ProbeResult], estimator: BandwidthEstimator, now: Int64) {
        let prober = self.prober
        guard prober.sendPacket != nil else { return }
        for result in measured { prober.measured(result.cluster, bitrate: result.bitsPerSecond) }
        let isSteady = estimator.usage == .normal && estimator.lossFraction < BandwidthEstimator.lowLoss
        guard prober.start(estimate: estimator.estimate, isSteady: isSteady, now: now) != nil else { return }
        prober.startPacing?()
    }

    /// Sends what the current probe has due by `now` (wall clock, nanoseconds), and ends
    /// it once it sent enough or has nothing to send; false when no probe runs any more.
    @discardableResult
    public func probe(now: UInt64? = nil) -> Bool {
        let prober = self.prober
        guard let cluster = prober.current, let send = prober.sendPacket else { return false }
        let time = Int64((now ?? SelectedUDPSocket.wallClock) / 1_000)
        var due = cluster.bytesDue(now: time)
        while due > 0, let current = prober.current {
            let size = send(current.id, current.packetsSent)
            guard size > 0 else {
                // The history holds nothing more to send: measured as far as it got.
                self.finishProbe(prober, now: time)
                return false
            }
            prober.sent(bytes: size, now: time)
            due -= size
        }
        guard let current = prober.current, !current.isComplete(now: time) else {
            self.finishProbe(prober, now: time)
            return false
        }
        return true
    }

    private func finishProbe(_ prober: BandwidthProber, now: Int64) {
        guard let cluster = prober.finish(now: now) else { return }
        self.estimator?.probeSent(cluster.id, packets: cluster.packetsSent, now: now)
    }

    /// What the path probes up to, bit/s (`BandwidthProber.defaultCeiling` unless set;
    /// 0 stops probing).
    public var probeCeiling: Int {
        get { Int(self.prober.ceiling) }
        set { self.prober.ceiling = Double(max(newValue, 0)) }
    }
}
