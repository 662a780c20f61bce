import ICE
import RTP
import Testing

@testable import SFU

/// Bandwidth probes: the prober's policy on its own, the probe rate from a cluster's
/// results, and a subscriber path (its real estimator, prober and pacing) against a
/// simulated bottleneck, millisecond by millisecond.
@Suite struct BandwidthProberTests {
    @Test func theFirstProbeIsThreeTimesTheEstimateAndAGoodResultProbesFurther() throws {
        let prober = BandwidthProber()
        let first = try #require(prober.start(estimate: 300_000, isSteady: true, now: 0))
        #expect(first.bitrate == 900_000)
        #expect(prober.start(estimate: 300_000, isSteady: true, now: 1_000) == nil, "one at a time")
        prober.sent(bytes: 1_200, now: 0)
        let finished = try #require(prober.finish(now: 20_000))
        #expect(finished.packetsSent == 1 && finished.bytesSent == 1_200)
        #expect(prober.start(estimate: 300_000, isSteady: true, now: 30_000) == nil, "its result is awaited")
        prober.measured(first.id, bitrate: 880_000)
        let further = try #require(prober.start(estimate: 880_000, isSteady: true, now: 100_000))
        #expect(further.bitrate == 1_760_000 && further.id != first.id)
    }

    @Test func aSaturatedResultStopsAndPeriodicProbesNeedASteadyLink() throws {
        let prober = BandwidthProber()
        let first = try #require(prober.start(estimate: 500_000, isSteady: true, now: 0))
        prober.sent(bytes: 1_200, now: 0)
        _ = prober.finish(now: 20_000)
        prober.measured(first.id, bitrate: 480_000)
        #expect(prober.start(estimate: 480_000, isSteady: true, now: 100_000) == nil, "under 70 %: no further probe")
        #expect(prober.start(estimate: 480_000, isSteady: false, now: 5_100_000) == nil, "not while congested")
        let periodic = try #require(prober.start(estimate: 480_000, isSteady: true, now: 5_100_000))
        #expect(periodic.bitrate == 960_000)
    }

    @Test func probesStayUnderTheCeilingAndAnUnansweredProbeIsGivenUp() throws {
        let prober = BandwidthProber()
        prober.ceiling = 2_000_000
        let first = try #require(prober.start(estimate: 1_000_000, isSteady: true, now: 0))
        #expect(first.bitrate == 2_000_000)
        prober.sent(bytes: 1_200, now: 0)
        _ = prober.finish(now: 20_000)
        #expect(prober.start(estimate: 1_000_000, isSteady: true, now: 900_000) == nil)
        // No result within a second: given up; the periodic probe comes 5 s after the last.
        #expect(prober.start(estimate: 1_000_000, isSteady: true, now: 1_100_000) == nil)
        prober.measured(first.id, bitrate: 1_950_000)
        #expect(prober.start(estimate: 1_950_000, isSteady: true, now: 1_200_000) == nil, "a late result is ignored")
        #expect(prober.start(estimate: 1_900_000, isSteady: true, now: 6_000_000) == nil, "the ceiling leaves no gain")
        prober.ceiling = 0
        #expect(prober.start(estimate: 100_000, isSteady: true, now: 20_000_000) == nil, "0 stops probing")
    }

    @Test func aClusterIsPacedAtItsRateAndCompleteAfterFivePacketsSixKilobytesAndFifteenMilliseconds() {
        var cluster = BandwidthProber.Cluster(id: 1, bitrate: 1_600_000, start: 0)
        #expect(cluster.bytesDue(now: 0) == 1, "the first packet goes at once")
        cluster.bytesSent = 1_000
        cluster.packetsSent = 1
        #expect(cluster.bytesDue(now: 5_000) == 0)
        #expect(cluster.bytesDue(now: 10_000) == 1_000)
        cluster.packetsSent = 5
        cluster.bytesSent = 6_000
        #expect(!cluster.isComplete(now: 10_000) && cluster.isComplete(now: 15_000))
        // Five packets of a low layer (500 bytes each) are not enough: a shaper's burst
        // allowance carries them at any rate.
        cluster.bytesSent = 2_500
        #expect(!cluster.isComplete(now: 15_000))
        #expect(cluster.bytesDue(now: 30_000) == 3_500, "it goes on at its rate")
        cluster.packetsSent = 12
        cluster.bytesSent = 6_000
        #expect(cluster.isComplete(now: 30_000))
    }

    typealias Result = BandwidthEstimator.PacketResult

    @Test func aProbeMeasuresTheSmallerRateOrNinetyFivePercentOfASaturatedArrival() throws {
        // 10 packets of 1,000 bytes sent 1 ms apart (8 Mbit/s counting 9 of them).
        let sent = (0..<10).map { Int64($0) * 1_000 }
        let unsaturated = sent.map { Result(sendTime: $0, size: 1_000, arrival: 50_000 + $0, probeCluster: 1) }
        let fast = try #require(ProbeMeasurements.rate(unsaturated))
        #expect(abs(fast.bitsPerSecond - 8_000_000) < 1 && !fast.saturated)
        // The link spaced them 4 ms apart: 2 Mbit/s, 95 % of it.
        let saturated = sent.map { Result(sendTime: $0, size: 1_000, arrival: 50_000 + 4 * $0, probeCluster: 1) }
        let slow = try #require(ProbeMeasurements.rate(saturated))
        #expect(abs(slow.bitsPerSecond - 1_900_000) < 1 && slow.saturated)
        // Arriving more than twice as fast as sent, or all at once: not a measurement.
        let compressed = sent.map { Result(sendTime: $0, size: 1_000, arrival: 50_000 + $0 / 3, probeCluster: 1) }
        #expect(ProbeMeasurements.rate(compressed) == nil)
        let burst = sent.map { Result(sendTime: $0, size: 1_000, arrival: 50_000, probeCluster: 1) }
        #expect(ProbeMeasurements.rate(burst) == nil)
    }

    /// A subscriber path that forwards `rate` of video (30 frames/s, 1,200-byte packets)
    /// for `seconds` through a link of `capacity(t)`; its probes go through the same
    /// link, paced every millisecond as the connection's timer paces them, and the
    /// receiver sends transport-wide feedback every 50 ms. The estimate every second, and
    /// the path.
    static func run(
        rate: Double,
        seconds: Int,
        capacity: (Double) -> Double,
        ceiling: Int? = nil
    ) -> ([Double], MediaPath) {
        let path = MediaPath(id: "simulated", bursts: BurstQueue())
        if let ceiling { path.probeCeiling = ceiling }
        let history = SendHistory()
        path.sendHistory = history
        var link = BandwidthEstimatorTests.Link(capacity: capacity(0), queueLimit: 0.1)
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9, interval: .milliseconds(50))
        var pending: [(arrival: Int64, sequenceNumber: UInt16)] = []
        var sequenceNumber: UInt16 = 0
        let start: Int64 = 1_000_000_000
        var now: Int64 = 0
        func send(size: Int, cluster: UInt16) {
            history.record(sequenceNumber, size: size, at: UInt64(start + now) * 1_000, probeCluster: cluster)
            if let arrival = link.carry(size: size, at: now) { pending.append((arrival, sequenceNumber)) }
            sequenceNumber &+= 1
        }
        var probing = false
        path.prober.sendPacket = { cluster, _ in
            send(size: 1_200, cluster: cluster)
            return 1_200
        }
        path.prober.startPacing = { probing = true }
        var estimates: [Double] = []
        var nextFrame: Int64 = 0
        for millisecond in 0..<(seconds * 1_000) {
            now = Int64(millisecond) * 1_000
            link.capacity = capacity(Double(now) / 1_000_000)
            if now >= nextFrame {
                for _ in 0..<max(1, Int((rate / 30 / 8 / 1_200).rounded())) { send(size: 1_200, cluster: 0) }
                nextFrame += 33_333
            }
            if probing { probing = path.probe(now: UInt64(start + now) * 1_000) }
            if millisecond % 50 == 0 {
                let arrived = pending.filter { $0.arrival <= now }.sorted { $0.arrival < $1.arrival }
                pending.removeAll { $0.arrival <= now }
                for packet in arrived {
                    _ = receiver.record(packet.sequenceNumber, arrival: UInt64(5_000_000 + packet.arrival) * 1_000)
                }
                for feedback in receiver.makeFeedback() {
                    path.receiveTransportFeedback(feedback, now: UInt64(start + now) * 1_000)
                }
            }
            if millisecond % 1_000 == 999 { estimates.append(Double(path.availableBitrate ?? 0)) }
        }
        return (estimates, path)
    }

    @Test func aSubscriberBehind500KilobitsConvergesAndFollowsTheLimitUpTo3Megabits() {
        let (estimates, path) = Self.run(rate: 450_000, seconds: 40, capacity: { $0 < 15 ? 500_000 : 3_000_000 })
        #expect(estimates[9..<15].allSatisfy { (350_000...600_000).contains($0) }, "\(estimates)")
        // Lifted at 15 s: within 20 s the estimate is near the new limit, and stays there.
        #expect(estimates[34...].allSatisfy { (2_400_000...3_300_000).contains($0) }, "\(estimates)")
        #expect(path.prober.clustersSent >= 3)
    }

    @Test func probesFindTheHeadroomAnApplicationLimitedPathCannotShow() {
        let (probed, _) = Self.run(rate: 450_000, seconds: 20, capacity: { _ in 3_000_000 })
        #expect(probed.last! >= 2_400_000, "\(probed)")
        let (unprobed, path) = Self.run(rate: 450_000, seconds: 20, capacity: { _ in 3_000_000 }, ceiling: 0)
        #expect(unprobed.last! < 1_000_000, "1.5 times what it carries at most: \(unprobed)")
        #expect(path.prober.clustersSent == 0)
    }
}
