import Glibc
import NIOCore
import RTP

/// The newest packets of one producer, by sequence number, kept for retransmission when
/// a subscriber NACKs one (RFC 4585 §6.2.1): at least the last `window` of them (a
/// second), so that a repair can still arrive in time to be played. Storage is one block
/// of fixed slots mapped when the stream starts, so storing a packet is a copy and never
/// an allocation.
///
/// The memory follows the stream (docs/decisions.md, "A producer's history takes memory
/// as it fills"): the block is mapped, not allocated and zeroed, so the kernel gives it
/// pages only as packets are written (a stream that sends nothing, a muted publisher or
/// a paused simulcast layer, costs none), and the history uses `minimumCapacity` slots
/// until they no longer hold a second of the stream, then twice as many, up to
/// `maximumCapacity`. A fixed 512 zeroed slots cost every video stream 768 KB from its
/// first second, idle or not.
final class PacketHistory {
    static let slotSize = 1500
    static let minimumCapacity = 128
    static let maximumCapacity = 1024
    static let window = Duration.seconds(1)

    struct Slot {
        /// 0: empty.
        var length: UInt16 = 0
        var sequenceNumber: UInt16 = 0
    }

    /// Slots in use, a power of two: a packet's is its sequence number modulo this.
    private(set) var capacity: Int
    private let limit: Int
    private let storage: UnsafeMutableRawPointer
    private let slots: UnsafeMutableBufferPointer<Slot>
    private var stored = 0
    /// When the current round of `capacity` stores began.
    private var roundStarted: ContinuousClock.Instant?

    /// A history of `capacity` slots at first, growing to at most `limit` (each rounded up
    /// to a power of two); nil when the kernel maps no memory for it.
    init?(capacity: Int = PacketHistory.minimumCapacity, limit: Int = PacketHistory.maximumCapacity) {
        let capacity = Self.powerOfTwo(atLeast: capacity)
        let limit = max(capacity, Self.powerOfTwo(atLeast: limit))
        guard
            let storage = mmap(nil, limit * Self.slotSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            storage != MAP_FAILED
        else { return nil }
        self.capacity = capacity
        self.limit = limit
        self.storage = storage
        self.slots = .allocate(capacity: limit)
        self.slots.initialize(repeating: Slot())
    }

    deinit {
        munmap(self.storage, self.limit * Self.slotSize)
        self.slots.deallocate()
    }

    private static func powerOfTwo(atLeast count: Int) -> Int {
        var size = 1
        while size < count { size <<= 1 }
        return size
    }

    /// The memory the history holds now: the pages its packets touched and its table.
    var residentBytes: Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = self.limit * Self.slotSize
        var vector = [UInt8](repeating: 0, count: (length + page - 1) / page)
        guard mincore(self.storage, length, &vector) == 0 else { return 0 }
        return vector.reduce(0) { $0 + Int($1 & 1) } * page + self.limit * MemoryLayout<Slot>.stride
    }

    func store(_ packet: RTPPacket, now: @autoclosure () -> ContinuousClock.Instant = .now) {
        if self.stored & (self.capacity - 1) == 0 { self.beginRound(now: now()) }
        self.stored &+= 1
        let sequenceNumber = packet.sequenceNumber.rawValue
        let slot = Int(sequenceNumber) & (self.capacity - 1)
        let length = packet.bytes.withUnsafeReadableBytes { bytes -> Int in
            guard bytes.count <= Self.slotSize, let source = bytes.baseAddress else { return 0 }
            (self.storage + slot * Self.slotSize).copyMemory(from: source, byteCount: bytes.count)
            return bytes.count
        }
        self.slots[slot] = Slot(length: UInt16(length), sequenceNumber: sequenceNumber)
    }

    /// Every `capacity` stores: twice the slots when these held less than `window` of
    /// the stream.
    private func beginRound(now: ContinuousClock.Instant) {
        defer { self.roundStarted = now }
        guard let started = self.roundStarted, now - started < Self.window, self.capacity < self.limit else { return }
        // A packet moves to its slot under the wider mask: the same, or the same plus the
        // old capacity, which no packet used yet.
        let old = self.capacity
        for index in 0..<old where self.slots[index].length > 0 && Int(self.slots[index].sequenceNumber) & old != 0 {
            (self.storage + (index + old) * Self.slotSize)
                .copyMemory(from: self.storage + index * Self.slotSize, byteCount: Int(self.slots[index].length))
            self.slots[index + old] = self.slots[index]
            self.slots[index] = Slot()
        }
        self.capacity = old * 2
        self.stored = 0
    }

    /// The stored packet with `sequenceNumber`, copied into a new buffer (the
    /// retransmission path is rare and may allocate); `nil` when it was overwritten.
    func packet(_ sequenceNumber: SequenceNumber) -> RTPPacket? {
        let index = Int(sequenceNumber.rawValue) & (self.capacity - 1)
        let slot = self.slots[index]
        guard slot.length > 0, slot.sequenceNumber == sequenceNumber.rawValue else { return nil }
        let bytes = UnsafeRawBufferPointer(start: self.storage + index * Self.slotSize, count: Int(slot.length))
        return try? RTPPacket(validating: ByteBuffer(bytes: bytes))
    }
}
