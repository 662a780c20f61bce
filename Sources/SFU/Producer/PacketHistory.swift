import NIOCore
import RTP

/// The newest packets of one producer, by sequence number, kept for retransmission when
/// a subscriber NACKs one (RFC 4585 §6.2.1). Storage is one preallocated block of
/// fixed slots, so storing a packet is a copy and never an allocation.
struct PacketHistory {
    static let slotSize = 1500
    let capacity: Int
    var storage: [UInt8]
    var lengths: [Int]
    var sequenceNumbers: [UInt16]

    /// `capacity` is rounded up to a power of two (512 by default: about 2 s of video
    /// at 2 Mbit/s).
    init(capacity: Int = 512) {
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.storage = [UInt8](repeating: 0, count: size * Self.slotSize)
        self.lengths = [Int](repeating: 0, count: size)
        self.sequenceNumbers = [UInt16](repeating: 0, count: size)
    }

    mutating func store(_ packet: RTPPacket) {
        let sequenceNumber = packet.sequenceNumber.rawValue
        let slot = Int(sequenceNumber) & (self.capacity - 1)
        let offset = slot * Self.slotSize
        let length = packet.bytes.withUnsafeReadableBytes { bytes -> Int in
            guard bytes.count <= Self.slotSize, let source = bytes.baseAddress else { return 0 }
            self.storage.withUnsafeMutableBytes { storage in
                storage.baseAddress?.advanced(by: offset).copyMemory(from: source, byteCount: bytes.count)
            }
            return bytes.count
        }
        self.lengths[slot] = length
        self.sequenceNumbers[slot] = sequenceNumber
    }

    /// The stored packet with `sequenceNumber`, copied into a new buffer (the
    /// retransmission path is rare and may allocate); `nil` when it was overwritten.
    func packet(_ sequenceNumber: SequenceNumber) -> RTPPacket? {
        let slot = Int(sequenceNumber.rawValue) & (self.capacity - 1)
        let length = self.lengths[slot]
        guard length > 0, self.sequenceNumbers[slot] == sequenceNumber.rawValue else { return nil }
        let offset = slot * Self.slotSize
        let buffer = self.storage.withUnsafeBytes { storage in
            ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: storage[offset..<(offset + length)]))
        }
        return try? RTPPacket(validating: buffer)
    }
}
