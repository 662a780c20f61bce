import RTP
import Testing

@Suite struct RTPStreamRewriterTests {
    @Test func firstSourceKeepsItsNumbers() {
        var rewriter = RTPStreamRewriter()
        let out = rewriter.rewrite(sequenceNumber: SequenceNumber(100), timestamp: RTPTimestamp(9000))
        #expect(out?.sequenceNumber == SequenceNumber(100))
        #expect(out?.timestamp == RTPTimestamp(9000))
    }

    @Test func sourceSwitchContinuesWithoutGapOrJump() {
        var rewriter = RTPStreamRewriter()
        for i in 0..<10 {
            _ = rewriter.rewrite(
                sequenceNumber: SequenceNumber(65530).advanced(by: i),
                timestamp: RTPTimestamp(3000 * UInt32(i))
            )
        }
        #expect(rewriter.lastOutputSequenceNumber == SequenceNumber(3))  // wrapped
        rewriter.switchSource(timestampGap: 3000)
        let first = rewriter.rewrite(sequenceNumber: SequenceNumber(5000), timestamp: RTPTimestamp(777_777))
        #expect(first?.sequenceNumber == SequenceNumber(4))
        #expect(first?.timestamp == RTPTimestamp(27000 + 3000))
        let second = rewriter.rewrite(sequenceNumber: SequenceNumber(5001), timestamp: RTPTimestamp(777_777 + 3000))
        #expect(second?.sequenceNumber == SequenceNumber(5))
        #expect(second?.timestamp == RTPTimestamp(33000))
        // A straggler of the new source from before its first packet would collide: dropped.
        #expect(rewriter.rewrite(sequenceNumber: SequenceNumber(4999), timestamp: RTPTimestamp(774_777)) == nil)
        // A reordered packet inside the new source maps without moving the newest output.
        _ = rewriter.rewrite(sequenceNumber: SequenceNumber(5003), timestamp: RTPTimestamp(783_777))
        let late = rewriter.rewrite(sequenceNumber: SequenceNumber(5002), timestamp: RTPTimestamp(780_777))
        #expect(late?.sequenceNumber == SequenceNumber(6))
        #expect(rewriter.lastOutputSequenceNumber == SequenceNumber(7))
    }

    @Test func skippingTheNewestPacketClosesTheGap() {
        var rewriter = RTPStreamRewriter()
        _ = rewriter.rewrite(sequenceNumber: SequenceNumber(10), timestamp: RTPTimestamp(0))
        rewriter.skip(sequenceNumber: SequenceNumber(11))  // dropped by the SFU (e.g. a temporal layer)
        let next = rewriter.rewrite(sequenceNumber: SequenceNumber(12), timestamp: RTPTimestamp(3000))
        #expect(next?.sequenceNumber == SequenceNumber(11))
    }

    /// A long call: one source for more than two full turns of the sequence numbers
    /// (30 minutes of 70 packets/s). Every packet is forwarded, in order, without a gap;
    /// a straggler from before the first packet is still refused after the wraps.
    @Test func aSourceKeepsForwardingAcrossSequenceNumberWraps() {
        var rewriter = RTPStreamRewriter()
        var expected = SequenceNumber(40_000)
        for step in 0..<140_000 {
            let input = SequenceNumber(40_000).advanced(by: step)
            let output = rewriter.rewrite(sequenceNumber: input, timestamp: RTPTimestamp(UInt32(step) &* 3000))
            guard output?.sequenceNumber == expected else {
                Issue.record("packet \(step) (sequence number \(input.rawValue)) gave \(String(describing: output))")
                return
            }
            expected = expected.advanced(by: 1)
        }
        // Two packets back is a late packet of the current source: still forwarded.
        #expect(rewriter.rewrite(sequenceNumber: expected.advanced(by: -2), timestamp: RTPTimestamp(0)) != nil)
    }
}

extension RTPStreamRewriterTests {
    @Test func outputsMapBackToTheirInputsAcrossSkips() {
        var rewriter = RTPStreamRewriter()
        var outputs: [(input: UInt16, output: UInt16)] = []
        // Inputs 65,530 onwards (wrapping); every third packet is left out.
        for step in 0..<30 {
            let input = UInt16(truncatingIfNeeded: 65_530 + step)
            if step % 3 == 2 {
                rewriter.skip(sequenceNumber: SequenceNumber(input))
                continue
            }
            let out = rewriter.rewrite(sequenceNumber: SequenceNumber(input), timestamp: RTPTimestamp(0))!
            outputs.append((input, out.sequenceNumber.rawValue))
        }
        #expect(zip(outputs, outputs.dropFirst()).allSatisfy { $1.output == $0.output &+ 1 })
        for (input, output) in outputs {
            #expect(rewriter.input(forOutput: SequenceNumber(output)) == SequenceNumber(input))
        }
    }
}
