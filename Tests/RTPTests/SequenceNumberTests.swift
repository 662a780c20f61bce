import RTP
import Testing

@Suite struct SequenceNumberTests {
    @Test func comparesAcrossTheWrap() {
        #expect(SequenceNumber(0).isNewer(than: SequenceNumber(65535)))
        #expect(!SequenceNumber(65535).isNewer(than: SequenceNumber(0)))
        #expect(SequenceNumber(65530).distance(to: SequenceNumber(4)) == 10)
        #expect(SequenceNumber(4).distance(to: SequenceNumber(65530)) == -10)
        #expect(SequenceNumber(65535).advanced(by: 2) == SequenceNumber(1))
        #expect(RTPTimestamp(0xFFFF_FFF0).advanced(by: 0x20) == RTPTimestamp(0x10))
        #expect(RTPTimestamp(0x10).isNewer(than: RTPTimestamp(0xFFFF_FFF0)))
    }

    @Test func unwrapsSixteenBitsToMonotonicCounts() {
        var unwrapper = SequenceNumberUnwrapper()
        let input: [UInt16] = [65533, 65534, 65535, 0, 65535, 1, 2]  // one reordered straggler
        let output = input.map { unwrapper.unwrap(SequenceNumber($0)) }
        #expect(output == [65533, 65534, 65535, 65536, 65535, 65537, 65538])
    }

    @Test func unwrapsManyCycles() {
        var unwrapper = SequenceNumberUnwrapper()
        var value: UInt16 = 100
        var last: Int64 = 0
        for _ in 0..<300_000 {
            value &+= 7
            last = unwrapper.unwrap(SequenceNumber(value))
        }
        #expect(last == 100 + 7 * 300_000)
    }

    @Test func unwrapsThirtyTwoBitTimestamps() {
        var unwrapper = RTPTimestampUnwrapper()
        let input: [UInt32] = [0xFFFF_F000, 0xFFFF_FF00, 0x0000_0100, 0xFFFF_FF80, 0x0000_1000]
        let output = input.map { unwrapper.unwrap(RTPTimestamp($0)) }
        #expect(output == [0xFFFF_F000, 0xFFFF_FF00, 0x1_0000_0100, 0xFFFF_FF80, 0x1_0000_1000])
    }
}
