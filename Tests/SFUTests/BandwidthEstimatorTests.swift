import RTP
import Testing

@testable import SFU

/// The subscriber link's estimate against a simulated bottleneck: the SFU sends at a
/// fixed rate (it forwards what publishers send), a link of some capacity queues and
/// drops, the receiver sends transport-wide feedback every 50 ms (built by the same
/// generator the publisher leg uses), and the estimator reads it through a send history.
@Suite struct BandwidthEstimatorTests {
    /// A bottleneck with a drop-tail queue and a one-way propagation delay.
    struct Link {
        var capacity: Double  // bit/s
        var queueLimit: Double  // seconds of queue at capacity
        var propagation: Int64 = 20_000  // µs
        var lastDeparture: Int64 = 0

        /// When a packet sent at `time` (µs) arrives, or nil when the queue drops it.
        mutating func carry(size: Int, at time: Int64) -> Int64? {
            let start = max(time, self.lastDeparture)
            if Double(start - time) / 1_000_000 > self.queueLimit { return nil }
            self.lastDeparture = start + Int64(Double(size * 8) / self.capacity * 1_000_000)
            return self.lastDeparture + self.propagation
        }
    }

    /// Sends video at `rate` (30 frames/s, 1,200-byte packets, each frame a burst) for
    /// `seconds`, through `link(t)`; returns the estimate every second.
    static func run(
        rate: (Double) -> Double,
        seconds: Int,
        link: inout Link,
        capacity: (Double) -> Double
    ) -> [Double] {
        let history = SendHistory()
        let estimator = BandwidthEstimator()
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9, interval: .milliseconds(50))
        var pending: [(arrival: Int64, sequenceNumber: UInt16)] = []
        var sequenceNumber: UInt16 = 0
        var estimates: [Double] = []
        var nextFeedback: Int64 = 50_000
        let start: Int64 = 1_000_000_000
        for frame in 0..<(seconds * 30) {
            let time = Int64(frame) * 33_333
            link.capacity = capacity(Double(time) / 1_000_000)
            let bytes = rate(Double(time) / 1_000_000) / 30 / 8
            let packets = max(1, Int((bytes / 1_200).rounded()))
            for index in 0..<packets {
                let sent = time + Int64(index) * 100
                history.record(sequenceNumber, size: 1_200, at: UInt64(start + sent) * 1_000)
                if let arrival = link.carry(size: 1_200, at: sent) { pending.append((arrival, sequenceNumber)) }
                sequenceNumber &+= 1
            }
            // The receiver reports what arrived by now, in arrival order.
            while nextFeedback <= time {
                let arrived = pending.filter { $0.arrival <= nextFeedback }.sorted { $0.arrival < $1.arrival }
                pending.removeAll { $0.arrival <= nextFeedback }
                for packet in arrived {
                    _ = receiver.record(packet.sequenceNumber, arrival: UInt64(5_000_000 + packet.arrival) * 1_000)
                }
                for feedback in receiver.makeFeedback() {
                    let results = estimator.results(of: feedback, history: history)
                    estimator.update(results, now: start + nextFeedback + link.propagation)
                }
                nextFeedback += 50_000
            }
            if frame % 30 == 29 { estimates.append(estimator.estimate) }
        }
        return estimates
    }

    @Test func anUnconstrainedLinksEstimateIsAtLeastWhatItDelivers() {
        var link = Link(capacity: 100_000_000, queueLimit: 1)
        let estimates = Self.run(rate: { _ in 1_000_000 }, seconds: 15, link: &link, capacity: { _ in 100_000_000 })
        #expect(estimates.suffix(5).allSatisfy { $0 >= 950_000 }, "\(estimates)")
        #expect(estimates.suffix(5).allSatisfy { $0 <= 1_600_000 }, "never far past what was tested: \(estimates)")
    }

    @Test func aShallowQueueAt500KilobitsConvergesWithinTenSeconds() {
        var link = Link(capacity: 500_000, queueLimit: 0.05)
        let estimates = Self.run(rate: { _ in 800_000 }, seconds: 15, link: &link, capacity: { _ in 500_000 })
        #expect(estimates[9...].allSatisfy { (350_000...600_000).contains($0) }, "\(estimates)")
    }

    @Test func aDeepQueueAt500KilobitsIsSeenByDelayBeforeLoss() {
        var link = Link(capacity: 500_000, queueLimit: 2)
        let estimates = Self.run(rate: { _ in 800_000 }, seconds: 15, link: &link, capacity: { _ in 500_000 })
        #expect(estimates[9...].allSatisfy { (350_000...600_000).contains($0) }, "\(estimates)")
    }

    @Test func aCapacityDropIsFollowedWithinFiveSeconds() {
        var link = Link(capacity: 100_000_000, queueLimit: 0.3)
        let estimates = Self.run(
            rate: { _ in 1_500_000 },
            seconds: 20,
            link: &link,
            capacity: { $0 < 10 ? 100_000_000 : 500_000 }
        )
        #expect(estimates[7] >= 1_400_000, "\(estimates)")
        #expect(estimates[14...].allSatisfy { $0 <= 650_000 }, "\(estimates)")
    }

    @Test func feedbackForPacketsNeverSentIsCounted() {
        let history = SendHistory()
        history.record(10, size: 1_000, at: 1_000_000_000)
        let estimator = BandwidthEstimator()
        let feedback = TransportWideFeedback(
            senderSSRC: 1,
            mediaSSRC: 2,
            baseSequenceNumber: 10,
            referenceTime: 100,
            feedbackPacketCount: 0,
            receiveDeltas: [4, 4, nil, 8]
        )
        let results = estimator.results(of: feedback, history: history)
        #expect(results.count == 1 && results[0].size == 1_000 && results[0].arrival == 100 * 64_000 + 1_000)
        #expect(estimator.unknownPackets == 3)
    }

    @Test func absurdFeedbackLeavesTheEstimateBounded() {
        let history = SendHistory()
        for sequenceNumber in UInt16(0)..<200 {
            history.record(sequenceNumber, size: 1_200, at: 1_000_000_000 + UInt64(sequenceNumber) * 1_000_000)
        }
        let estimator = BandwidthEstimator()
        var state: UInt64 = 0x9E37_79B9
        for round in 0..<200 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let deltas: [Int16?] = (0..<20).map { index in
                let bits = (state >> UInt64(index)) & 0xFFFF
                return bits % 5 == 0 ? nil : Int16(truncatingIfNeeded: bits)
            }
            let feedback = TransportWideFeedback(
                senderSSRC: 1,
                mediaSSRC: 2,
                baseSequenceNumber: UInt16(truncatingIfNeeded: state >> 40) % 200,
                referenceTime: Int32(truncatingIfNeeded: state >> 8) & 0x7F_FFFF,
                feedbackPacketCount: UInt8(round & 0xFF),
                receiveDeltas: deltas
            )
            estimator.update(estimator.results(of: feedback, history: history), now: 1_000_000 + Int64(round) * 50_000)
            #expect(estimator.estimate.isFinite)
            #expect(
                (BandwidthEstimator.minimumBitrate...BandwidthEstimator.maximumBitrate).contains(estimator.estimate)
            )
        }
    }
}
