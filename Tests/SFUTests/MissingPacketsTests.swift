import RTP
import Testing

@testable import SFU

@Suite struct MissingPacketsTests {
    let start = ContinuousClock.now

    @Test func packetsInOrderMissNothing() {
        var missing = MissingPackets()
        for sequenceNumber in Int64(0)..<1000 {
            #expect(missing.record(sequenceNumber, now: start) == .expected)
        }
        #expect(missing.isEmpty && !missing.mayRequest(at: start + .seconds(5)))
    }

    @Test func aGapIsAskedForAtOnceThenRetriedUntilGivenUp() {
        var missing = MissingPackets()
        _ = missing.record(10, now: start)
        #expect(missing.record(14, now: start) == .gap)
        #expect(missing.mayRequest(at: start))
        #expect(missing.due(at: start).map(\.rawValue) == [11, 12, 13])
        // Not again before the retry interval.
        #expect(!missing.mayRequest(at: start + .milliseconds(50)))
        #expect(missing.due(at: start + .milliseconds(50)).isEmpty)
        var time = start
        for _ in 1..<Int(MissingPackets.maximumRequests) {
            time += MissingPackets.initialRetryInterval
            #expect(missing.mayRequest(at: time))
            #expect(missing.due(at: time).count == 3)
        }
        time += MissingPackets.initialRetryInterval
        #expect(missing.due(at: time).isEmpty)
        #expect(missing.isEmpty && missing.abandoned == 3)
    }

    @Test func aRepairedPacketIsNoLongerAskedFor() {
        var missing = MissingPackets()
        _ = missing.record(100, now: start)
        _ = missing.record(105, now: start)
        _ = missing.due(at: start)
        #expect(missing.isMissing(SequenceNumber(102)))
        #expect(missing.record(102, now: start) == .repaired)
        #expect(!missing.isMissing(SequenceNumber(102)))
        // A duplicate of a repaired packet repairs nothing.
        #expect(missing.record(102, now: start) == .expected)
        #expect(missing.due(at: start + .seconds(0.1)).map(\.rawValue) == [101, 103, 104])
    }

    /// Once repairs are timed, a request is repeated after twice the smoothed repair
    /// time (here 5 ms: so after the 20 ms floor), not after the initial 100 ms.
    @Test func theRetryIntervalFollowsTheTimeARepairTakes() {
        var missing = MissingPackets()
        #expect(missing.retryInterval == MissingPackets.initialRetryInterval)
        var sequenceNumber: Int64 = 0
        var time = start
        _ = missing.record(sequenceNumber, now: time)
        for _ in 0..<20 {
            // One packet lost, asked for, and repaired 5 ms later.
            sequenceNumber += 2
            _ = missing.record(sequenceNumber, now: time)
            _ = missing.due(at: time)
            time += .milliseconds(5)
            #expect(missing.record(sequenceNumber - 1, now: time) == .repaired)
        }
        #expect(missing.repairTime == .milliseconds(5))
        #expect(missing.retryInterval == MissingPackets.minimumRetryInterval)
        sequenceNumber += 2
        _ = missing.record(sequenceNumber, now: time)
        #expect(missing.due(at: time).count == 1)
        #expect(!missing.mayRequest(at: time + .milliseconds(19)))
        #expect(missing.due(at: time + .milliseconds(20)).count == 1)
        // A slow repair (80 ms) lengthens it, up to the initial interval.
        time += .milliseconds(100)
        for _ in 0..<40 {
            sequenceNumber += 2
            _ = missing.record(sequenceNumber, now: time)
            _ = missing.due(at: time)
            time += .milliseconds(80)
            _ = missing.record(sequenceNumber - 1, now: time)
        }
        #expect(missing.retryInterval == MissingPackets.initialRetryInterval)
    }

    @Test func missingPacketsAreFoundAcrossTheSequenceNumberWrap() {
        var missing = MissingPackets()
        _ = missing.record(65_534, now: start)
        _ = missing.record(65_539, now: start)  // 65,535, 0, 1 and 2 skipped
        #expect(missing.isMissing(SequenceNumber(65_535)) && missing.isMissing(SequenceNumber(0)))
        #expect(missing.isMissing(SequenceNumber(2)) && !missing.isMissing(SequenceNumber(3)))
        #expect(missing.due(at: start).map(\.rawValue) == [65_535, 0, 1, 2])
    }

    @Test func aGapTooLargeToRepairIsGivenUpAtOnce() {
        var missing = MissingPackets()
        _ = missing.record(0, now: start)
        _ = missing.record(3, now: start)
        #expect(missing.record(5000, now: start) == .tooManyLost)
        #expect(missing.isEmpty && missing.abandoned == 2 + 4996)
        #expect(missing.record(5001, now: start) == .expected)
    }

    @Test func oldEntriesAgeOutAndTheListStaysBounded() {
        var missing = MissingPackets()
        _ = missing.record(0, now: start)
        var sequenceNumber: Int64 = 0
        // 200 gaps of 2: 400 missing, more than the capacity.
        for _ in 0..<200 {
            sequenceNumber += 3
            _ = missing.record(sequenceNumber, now: start)
        }
        #expect(missing.entries.count == MissingPackets.capacity)
        #expect(missing.abandoned == UInt64(400 - MissingPackets.capacity))
        #expect(missing.due(at: start + .seconds(2)).isEmpty)
        #expect(missing.isEmpty && missing.abandoned == 400)
    }
}
