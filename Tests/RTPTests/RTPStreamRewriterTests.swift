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
}
