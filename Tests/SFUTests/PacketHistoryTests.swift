import NIOCore
import RTP
import Testing

@testable import SFU

struct PacketHistoryTests {
    static func packet(_ sequenceNumber: UInt16, payload: UInt8) throws -> RTPPacket {
        var bytes: [UInt8] = [0x80, 96]
        bytes += withUnsafeBytes(of: sequenceNumber.bigEndian, Array.init)
        bytes += [0, 0, 0x10, 0, 0, 0, 0, 7]  // timestamp 4096, SSRC 7
        bytes += [UInt8](repeating: payload, count: 1000)
        return try RTPPacket(validating: ByteBuffer(bytes: bytes))
    }

    @Test func keepsTheNewestPacketsAndForgetsOverwrittenOnes() throws {
        var history = PacketHistory(capacity: 500)
        #expect(history.capacity == 512)
        for number in 65_000...65_535 { history.store(try Self.packet(UInt16(number), payload: UInt8(number & 0xFF))) }
        for number in 0...100 { history.store(try Self.packet(UInt16(number), payload: UInt8(number & 0xFF))) }
        // The newest 512 are there, byte for byte.
        let recent = try #require(history.packet(SequenceNumber(50)))
        #expect(recent.sequenceNumber == SequenceNumber(50))
        #expect(recent.ssrc == 7)
        #expect(recent.payloadLength == 1000)
        #expect(history.packet(SequenceNumber(65_200)) != nil)
        // Older ones were overwritten by packets sharing their slot.
        #expect(history.packet(SequenceNumber(65_000)) == nil)
        #expect(history.packet(SequenceNumber(101)) == nil)
    }

    @Test func anOversizedPacketIsNotKept() throws {
        var history = PacketHistory(capacity: 4)
        var bytes: [UInt8] = [0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
        bytes += [UInt8](repeating: 0, count: 1600)
        history.store(try RTPPacket(validating: ByteBuffer(bytes: bytes)))
        #expect(history.packet(SequenceNumber(1)) == nil)
    }
}
