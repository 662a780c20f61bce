import RTP
import Testing

@testable import SFU

struct ReceiveStatisticsTests {
    @Test func lossAndExtendedHighestAcrossAWrap() throws {
        var statistics = ReceiveStatistics()
        let now = ContinuousClock.now
        // 65,530 … 65,535, 0 … 13 with 3 and 7 missing: 20 expected, 18 received.
        for number in Array(65_530...65_535) + Array(0...13) where number != 3 && number != 7 {
            statistics.record(SequenceNumber(UInt16(number)))
        }
        let firstBlock = statistics.reportBlock(ssrc: 42, now: now)
        let first = try #require(firstBlock)
        #expect(first.ssrc == 42)
        #expect(first.cumulativeLost == 2)
        #expect(first.fractionLost == UInt8((2 << 8) / 20))
        #expect(first.extendedHighestSequenceNumber == 0x1_000D)
        // The next interval loses nothing: the fraction resets, the total stays.
        for number in 14...23 { statistics.record(SequenceNumber(UInt16(number))) }
        let secondBlock = statistics.reportBlock(ssrc: 42, now: now)
        let second = try #require(secondBlock)
        #expect(second.fractionLost == 0)
        #expect(second.cumulativeLost == 2)
    }

    @Test func reorderedAndDuplicatedPacketsDoNotCountAsLoss() throws {
        var statistics = ReceiveStatistics()
        for number: UInt16 in [100, 102, 101, 103, 103, 104] { statistics.record(SequenceNumber(number)) }
        let blockBlock = statistics.reportBlock(ssrc: 1, now: .now)
        let block = try #require(blockBlock)
        #expect(block.cumulativeLost == -1)  // a duplicate counts as received (RFC 3550 A.3)
        #expect(block.fractionLost == 0)
        #expect(block.extendedHighestSequenceNumber == 104)
    }

    @Test func delaySinceTheLastSenderReportIsIn65536thsOfASecond() throws {
        var statistics = ReceiveStatistics()
        statistics.record(SequenceNumber(1))
        let arrival = ContinuousClock.now
        let report = SenderReport(
            ssrc: 9,
            ntpTimestamp: 0x1234_5678_9ABC_DEF0,
            rtpTimestamp: RTPTimestamp(1000),
            packetCount: 1,
            octetCount: 100
        )
        statistics.didReceive(report, at: arrival)
        let blockBlock = statistics.reportBlock(ssrc: 9, now: arrival + .milliseconds(500))
        let block = try #require(blockBlock)
        #expect(block.lastSenderReport == 0x5678_9ABC)
        #expect(block.delaySinceLastSenderReport == 32_768)
    }
}
