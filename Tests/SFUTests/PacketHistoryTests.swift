import Glibc
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
        let history = try #require(PacketHistory(capacity: 500, limit: 500))
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
        let history = try #require(PacketHistory(capacity: 4, limit: 4))
        var bytes: [UInt8] = [0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
        bytes += [UInt8](repeating: 0, count: 1600)
        history.store(try RTPPacket(validating: ByteBuffer(bytes: bytes)))
        #expect(history.packet(SequenceNumber(1)) == nil)
    }

    @Test func takesMemoryOnlyAsPacketsArrive() throws {
        let history = try #require(PacketHistory())
        let table = PacketHistory.maximumCapacity * MemoryLayout<PacketHistory.Slot>.stride
        #expect(history.residentBytes == table)
        let start = ContinuousClock.now
        for number in 0..<20 {
            history.store(try Self.packet(UInt16(number), payload: 1), now: start + .milliseconds(10 * number))
        }
        // 20 slots of 1,500 bytes, of which the packets wrote 1,012 each: the pages they
        // touched, not the 1.5 MB the history may take.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let stored = history.residentBytes - table
        #expect(stored >= 20 * 1012 && stored <= (20 * PacketHistory.slotSize / page + 2) * page)
        // 100 packets a second: 128 slots hold more than a second, and stay all it takes.
        for number in 20..<600 {
            history.store(try Self.packet(UInt16(number), payload: 1), now: start + .milliseconds(10 * number))
        }
        #expect(history.capacity == PacketHistory.minimumCapacity)
        #expect(history.residentBytes - table <= (128 * PacketHistory.slotSize / page + 2) * page)
    }

    @Test func growsWhileItsSlotsHoldLessThanAWindowAndKeepsWhatItHeld() throws {
        let history = try #require(PacketHistory(capacity: 4, limit: 16))
        let start = ContinuousClock.now
        // Eight packets in 80 ms: the fifth starts a round after four slots held 40 ms.
        for number in 0..<8 {
            history.store(
                try Self.packet(UInt16(truncatingIfNeeded: 65_530 + number), payload: UInt8(number)),
                now: start + .milliseconds(10 * number)
            )
        }
        #expect(history.capacity == 8)
        for number in 0..<8 {
            let packet = try #require(history.packet(SequenceNumber(UInt16(truncatingIfNeeded: 65_530 + number))))
            #expect(packet.payload.readableBytesView.first == UInt8(number))
        }
        // Rounds of eight that span more than the window: no further growth.
        for number in 8..<40 {
            history.store(
                try Self.packet(UInt16(truncatingIfNeeded: 65_530 + number), payload: UInt8(number)),
                now: start + .milliseconds(200 * number)
            )
        }
        #expect(history.capacity == 8)
        #expect(history.packet(SequenceNumber(UInt16(truncatingIfNeeded: 65_530 + 39))) != nil)
        #expect(history.packet(SequenceNumber(UInt16(truncatingIfNeeded: 65_530 + 31))) == nil)
    }
}
