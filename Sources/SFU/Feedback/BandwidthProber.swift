/// When a subscriber's path probes its link for headroom, and how fast: a probe is a
/// short cluster of packets sent faster than the estimate (copies of recent video
/// packets on the RTX stream, which the receiver drops as repeats), whose arrival rate
/// the subscriber's transport-wide feedback then tells (`BandwidthEstimator`).
///
/// An estimate learns only from what the path sends: a subscriber receiving 500 kbit/s
/// on a 3 Mbit/s link is estimated at about 760 kbit/s, however long it waits. Probing is
/// how the estimate finds what a higher layer would need before the layer is sent.
///
/// The policy follows libwebrtc's probe controller (the constants are its own): a first
/// probe at three times the starting estimate once feedback arrives; a probe that got
/// through at 70 % or more of its rate is followed at once by one at twice its result
/// ("probing further"); and while the estimate sits below the path's ceiling, a probe at
/// twice the estimate every 5 s (libwebrtc's periodic probing when application-limited).
/// No probe goes above the ceiling. Runs off the per-packet path: after feedback, and on
/// the pacing timer during a cluster.
final class BandwidthProber {
    /// One probe: its id in the send history, its rate, bit/s, and what it sent so far.
    struct Cluster: Equatable {
        var id: UInt16
        var bitrate: Double
        /// When it started (wall clock, µs): when its first packet went.
        var start: Int64
        var bytesSent = 0
        var packetsSent = 0

        /// Bytes the cluster should have sent by `now` at its rate, less what it sent;
        /// at least a packet's worth until it sent its minimum.
        func bytesDue(now: Int64) -> Int {
            let elapsed = max(now - self.start, 0)
            let due = Int(self.bitrate * Double(elapsed) / 8_000_000) - self.bytesSent
            return self.packetsSent == 0 ? max(due, 1) : due
        }

        /// Whether it sent enough to be measured: the minimum packets and bytes over the
        /// minimum time.
        func isComplete(now: Int64) -> Bool {
            self.packetsSent >= BandwidthProber.minimumPackets && self.bytesSent >= BandwidthProber.minimumBytes
                && now - self.start >= BandwidthProber.minimumDuration
        }
    }

    /// A cluster is measured from at least 5 packets over at least 15 ms (libwebrtc's
    /// `kMinProbePacketsSent` and `kMinProbeDurationMs`).
    static let minimumPackets = 5
    static let minimumDuration: Int64 = 15_000
    /// And at least 6,000 bytes: what libwebrtc's 5 packets carry at full size. A probe
    /// resends recent packets, and a low layer's are 500 bytes or less: 5 of them fit in
    /// a shaper's burst allowance (a token bucket lets its first 4 kB through at any
    /// rate), and measured there they said a 300 kbit/s link carried 2.6 Mbit/s
    /// (docs/decisions.md).
    static let minimumBytes = 6_000
    /// The first probe, times the estimate at the first feedback (libwebrtc's first
    /// exponential probe: 3x the start bitrate).
    static let initialMultiplier = 3.0
    /// A result of at least 70 % of the probed rate probes further, at twice the result
    /// (libwebrtc's `kRepeatedProbeMinPercentage` and `further_exponential_probe_scale`).
    static let furtherRatio = 0.7
    static let furtherMultiplier = 2.0
    /// Periodic probing: every 5 s, at twice the estimate (libwebrtc's ALR probing).
    static let periodicInterval: Int64 = 5_000_000
    static let periodicMultiplier = 2.0
    /// A probe not worth sending: less than 10 % above the estimate.
    static let minimumGain = 1.1
    /// A result not reported within a second is given up on.
    static let resultTimeout: Int64 = 1_000_000
    /// The ceiling a path probes up to unless told otherwise, bit/s: what the best
    /// layers of a few video tracks need.
    static let defaultCeiling = 5_000_000.0

    /// What the path probes up to, bit/s; 0 stops probing.
    var ceiling = BandwidthProber.defaultCeiling
    /// How the path sends a probe packet of a cluster (its index in the cluster; returns
    /// its size on the wire, or 0: nothing to send): no probing without it. How the
    /// connection starts pacing a cluster (a test paces with `MediaPath.probe(now:)`).
    var sendPacket: ((_ cluster: UInt16, _ index: Int) -> Int)?
    var startPacing: (() -> Void)?
    /// Clusters sent (with at least one packet).
    private(set) var clustersSent: UInt64 = 0
    /// The cluster being sent, and the last one sent whose result is awaited.
    private(set) var current: Cluster?
    private(set) var awaited: (cluster: Cluster, finished: Int64)?
    /// When the last cluster started (for the periodic probe).
    private var lastStart: Int64?
    /// A rate to probe next, once nothing is awaited (probing further).
    private var next: Double?
    private var nextID: UInt16 = 1

    /// The cluster to start now, given the estimate after the latest feedback, if any:
    /// the first probe, a further one, or a periodic one while the link shows no
    /// congestion (`isSteady`).
    func start(estimate: Double, isSteady: Bool, now: Int64) -> Cluster? {
        guard self.current == nil, self.ceiling > 0 else { return nil }
        if let awaited = self.awaited {
            guard now - awaited.finished > Self.resultTimeout else { return nil }
            self.awaited = nil
        }
        let target: Double
        if let next = self.next {
            self.next = nil
            target = next
        } else if self.lastStart == nil {
            target = estimate * Self.initialMultiplier
        } else if isSteady, let last = self.lastStart, now - last >= Self.periodicInterval {
            target = estimate * Self.periodicMultiplier
        } else {
            return nil
        }
        let bitrate = min(target, self.ceiling)
        guard bitrate >= estimate * Self.minimumGain else { return nil }
        let cluster = Cluster(id: self.nextID, bitrate: bitrate, start: now)
        self.nextID = self.nextID == UInt16.max ? 1 : self.nextID + 1
        self.current = cluster
        self.lastStart = now
        return cluster
    }

    /// Counts a probe packet of `bytes` sent at `now` for the current cluster; the first
    /// one starts its clock.
    func sent(bytes: Int, now: Int64) {
        if self.current?.packetsSent == 0 { self.current?.start = now }
        self.current?.bytesSent += bytes
        self.current?.packetsSent += 1
    }

    /// Ends the current cluster (complete, or with nothing left to send), and returns it
    /// when it sent anything: its result is awaited from then on.
    func finish(now: Int64) -> Cluster? {
        guard let cluster = self.current else { return nil }
        self.current = nil
        guard cluster.packetsSent > 0 else { return nil }
        self.awaited = (cluster, now)
        self.clustersSent &+= 1
        return cluster
    }

    /// The measured result of cluster `id` (nil: not measurable): one that got through at
    /// 70 % of its rate or more is followed by a probe at twice the result.
    func measured(_ id: UInt16, bitrate: Double?) {
        guard let awaited = self.awaited, awaited.cluster.id == id else { return }
        self.awaited = nil
        guard let bitrate, bitrate >= awaited.cluster.bitrate * Self.furtherRatio else { return }
        self.next = bitrate * Self.furtherMultiplier
    }
}
