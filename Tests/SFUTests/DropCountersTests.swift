import SFU
import Testing

@Suite struct DropCountersTests {
    @Test func countsEachReasonSeparately() {
        var counters = DropCounters()
        counters.record(.malformedRTP)
        counters.record(.malformedRTP)
        counters.record(.unknownSSRC)
        #expect(counters[.malformedRTP] == 2)
        #expect(counters[.unknownSSRC] == 1)
        #expect(counters[.consumerPaused] == 0)
        #expect(counters.total == 3)
    }
}
