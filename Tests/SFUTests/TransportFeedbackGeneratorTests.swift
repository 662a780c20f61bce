import NIOCore
import RTP
import Testing

@testable import SFU

/// The publisher leg's transport-wide feedback, record by record (no network).
@Suite struct TransportFeedbackGeneratorTests {
    /// 10 s after the clock's start: reference times fit 24 bits without wrapping.
    static let start: UInt64 = 10_000_000_000
    static let millisecond: UInt64 = 1_000_000

    /// Arrival times (µs) a sender reconstructs from feedback: reference × 64 ms plus the
    /// running sum of the deltas (RFC draft §3.1.5), by sequence number.
    static func arrivals(_ packets: [TransportWideFeedback]) -> [UInt16: Int64] {
        var arrivals: [UInt16: Int64] = [:]
        for packet in packets {
            var time = Int64(packet.referenceTime) * 64_000
            for (index, delta) in packet.receiveDeltas.enumerated() {
                guard let delta else { continue }
                time += Int64(delta) * 250
                arrivals[packet.baseSequenceNumber &+ UInt16(index)] = time
            }
        }
        return arrivals
    }

    /// The packets survive their own wire format.
    static func roundTrip(_ packets: [TransportWideFeedback]) throws -> [TransportWideFeedback] {
        try packets.map { packet in
            var buffer = ByteBuffer()
            packet.write(into: &buffer)
            #expect(buffer.readableBytes == packet.encodedLength && buffer.readableBytes % 4 == 0)
            return try TransportWideFeedback(validating: buffer)
        }
    }

    static func expectArrivals(_ packets: [TransportWideFeedback], _ truth: [UInt16: UInt64]) {
        let reported = Self.arrivals(packets)
        #expect(Set(reported.keys) == Set(truth.keys))
        for (sequenceNumber, arrival) in truth {
            guard let time = reported[sequenceNumber] else { continue }
            #expect(abs(time - Int64(arrival / 1000)) <= 125, "packet \(sequenceNumber)")
        }
    }

    @Test func packetsInOrderAreReportedWithSmallDeltas() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        var truth: [UInt16: UInt64] = [:]
        for index in 0..<10 {
            let arrival = Self.start + UInt64(index) * Self.millisecond + 37_000
            truth[100 + UInt16(index)] = arrival
            #expect(!generator.record(100 + UInt16(index), arrival: arrival), "not due within 50 ms")
        }
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets.count == 1)
        #expect(packets[0].baseSequenceNumber == 100 && packets[0].receiveDeltas.count == 10)
        #expect(packets[0].referenceTime == Int32(Self.start / 64_000_000))
        #expect(packets[0].receiveDeltas.dropFirst().allSatisfy { $0 == 4 })
        Self.expectArrivals(packets, truth)
        #expect(generator.makeFeedback().isEmpty, "nothing new")
    }

    @Test func feedbackIsDueEveryIntervalAndAtOnceOnLoss() {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        #expect(!generator.record(1, arrival: Self.start))
        #expect(!generator.record(2, arrival: Self.start + 49 * Self.millisecond))
        #expect(generator.record(3, arrival: Self.start + 50 * Self.millisecond))
        #expect(!generator.record(4, arrival: Self.start + 51 * Self.millisecond), "due once")
        _ = generator.makeFeedback()
        #expect(!generator.record(5, arrival: Self.start + 52 * Self.millisecond))
        #expect(generator.record(8, arrival: Self.start + 53 * Self.millisecond), "a gap: due at once")
    }

    @Test func lossAndReorderingAreReported() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        let order: [(UInt16, UInt64)] = [(10, 0), (11, 2), (14, 3), (13, 9), (17, 10)]
        var truth: [UInt16: UInt64] = [:]
        for (sequenceNumber, milliseconds) in order {
            truth[sequenceNumber] = Self.start + milliseconds * Self.millisecond
            _ = generator.record(sequenceNumber, arrival: Self.start + milliseconds * Self.millisecond)
        }
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets.count == 1)
        let received = packets[0].receiveDeltas.map { $0 != nil }
        #expect(received == [true, true, false, true, true, false, false, true])
        // Deltas go in sequence order: 13 came 7 ms after 11, and 14, which arrived
        // before 13, gets a negative (two-byte) delta.
        #expect(packets[0].receiveDeltas[3] == 28 && packets[0].receiveDeltas[4] == -24)
        Self.expectArrivals(packets, truth)
    }

    @Test func reorderingBackwardsInTimeGivesANegativeDelta() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        _ = generator.record(20, arrival: Self.start + 10 * Self.millisecond)
        _ = generator.record(22, arrival: Self.start + 11 * Self.millisecond)
        _ = generator.record(21, arrival: Self.start + 12 * Self.millisecond)
        _ = generator.record(23, arrival: Self.start + 13 * Self.millisecond)
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets[0].receiveDeltas.dropFirst() == [8, -4, 8])
    }

    @Test func sequenceNumbersWrap() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        var truth: [UInt16: UInt64] = [:]
        for (index, sequenceNumber) in [UInt16(65_533), 65_534, 65_535, 0, 1, 2].enumerated() {
            truth[sequenceNumber] = Self.start + UInt64(index) * Self.millisecond
            _ = generator.record(sequenceNumber, arrival: truth[sequenceNumber]!)
        }
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets.count == 1 && packets[0].baseSequenceNumber == 65_533)
        #expect(packets[0].receiveDeltas.count == 6)
        Self.expectArrivals(packets, truth)
        // And on, past the wrap, in the next feedback.
        _ = generator.record(3, arrival: Self.start + 7 * Self.millisecond)
        #expect(generator.makeFeedback().map(\.baseSequenceNumber) == [3])
    }

    @Test func lateAndRepeatedPacketsAreCountedNotReported() {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        for sequenceNumber in UInt16(1)...5 { _ = generator.record(sequenceNumber, arrival: Self.start) }
        _ = generator.record(5, arrival: Self.start + 1)
        #expect(generator.duplicates == 1)
        _ = generator.makeFeedback()
        _ = generator.record(3, arrival: Self.start + Self.millisecond)
        #expect(generator.late == 1)
        #expect(generator.makeFeedback().isEmpty)
    }

    @Test func aDeltaBeyondSixteenBitsStartsAnotherPacket() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        let truth: [UInt16: UInt64] = [7: Self.start, 8: Self.start + 10_000 * Self.millisecond]
        _ = generator.record(7, arrival: truth[7]!)
        _ = generator.record(8, arrival: truth[8]!)
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets.map(\.baseSequenceNumber) == [7, 8])
        #expect(packets.map(\.feedbackPacketCount) == [0, 1])
        Self.expectArrivals(packets, truth)
    }

    @Test func manyPacketsAndLongLossesSplitIntoBoundedPackets() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1, capacity: 4096)
        var truth: [UInt16: UInt64] = [:]
        for index in 0..<1000 {
            truth[UInt16(index)] = Self.start + UInt64(index) * 100_000
            _ = generator.record(UInt16(index), arrival: truth[UInt16(index)]!)
        }
        // 900 lost, then one more.
        truth[1900] = Self.start + 200 * Self.millisecond
        _ = generator.record(1900, arrival: truth[1900]!)
        let packets = try Self.roundTrip(generator.makeFeedback())
        #expect(packets.allSatisfy { $0.receiveDeltas.count <= TransportFeedbackGenerator.maximumStatuses })
        #expect(packets.allSatisfy { $0.encodedLength <= 1_200 })
        Self.expectArrivals(packets, truth)
        // The losses just before 1900 are reported, as far as a packet holds.
        let last = try #require(packets.last)
        #expect(last.receiveDeltas.count == TransportFeedbackGenerator.maximumStatuses)
        #expect(last.receiveDeltas.dropLast().allSatisfy { $0 == nil })
    }

    @Test func theReferenceTimeWrapsToSignedTwentyFourBits() throws {
        #expect(TransportFeedbackGenerator.signed24(0x7F_FFFF) == 0x7F_FFFF)
        #expect(TransportFeedbackGenerator.signed24(0x80_0000) == -0x80_0000)
        #expect(TransportFeedbackGenerator.signed24(0x1FF_FFFF) == -1)
        // A realistic realtime clock: the field carries the low 24 bits.
        let now: UInt64 = 1_796_000_000_123_456_789
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        _ = generator.record(1, arrival: now)
        let packet = try #require(try Self.roundTrip(generator.makeFeedback()).first)
        #expect(UInt32(bitPattern: packet.referenceTime) & 0xFF_FFFF == UInt32((now / 64_000_000) & 0xFF_FFFF))
        #expect(packet.receiveDeltas == [Int16((now % 64_000_000 + 125_000) / 250_000)])
    }
}
