import ICE

/// The datagrams a transport sends during one receive burst, packed one after another,
/// sent together when the burst ends (`BurstQueue`) with
/// `SelectedUDPSocket.send(packed:lengths:)`. A packet costs a copy here instead of a
/// system call; the memory is taken at the first send.
struct Outbox: ~Copyable {
    /// Eight full-size datagrams (12 KB per sending transport): a video frame of a few
    /// Mbit/s at 30 frames/s; a larger burst goes out in several batches.
    static let capacity = 8
    static let bytes = 8 * 1500

    private var storage: UnsafeMutableRawBufferPointer?
    private var lengths: UnsafeMutableBufferPointer<Int>?
    private(set) var count = 0
    private var used = 0

    deinit {
        self.storage?.deallocate()
        self.lengths?.deallocate()
    }

    var isEmpty: Bool { self.count == 0 }

    /// Whether one more datagram of `length` bytes fits.
    func fits(_ length: Int) -> Bool {
        self.count < Self.capacity && self.used + length <= Self.bytes
    }

    /// Copies a datagram in; the caller checked `fits`.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if self.storage == nil {
            self.storage = .allocate(byteCount: Self.bytes, alignment: 16)
            self.lengths = .allocate(capacity: Self.capacity)
        }
        guard let base = self.storage?.baseAddress, let lengths = self.lengths, let source = bytes.baseAddress else {
            return
        }
        (base + self.used).copyMemory(from: source, byteCount: bytes.count)
        lengths[self.count] = bytes.count
        self.count += 1
        self.used += bytes.count
    }

    /// Sends everything collected on `socket` and empties the outbox; returns how many
    /// datagrams and bytes the kernel took.
    mutating func flush(on socket: SelectedUDPSocket?) -> (datagrams: Int, bytes: Int) {
        defer { (self.count, self.used) = (0, 0) }
        guard self.count > 0, let storage = self.storage, let lengths = self.lengths, let socket else { return (0, 0) }
        let packed = UnsafeRawBufferPointer(rebasing: storage[0..<self.used])
        let sent = socket.send(packed: packed, lengths: UnsafeBufferPointer(rebasing: lengths[0..<self.count]))
        return (sent, sent == self.count ? self.used : lengths[0..<sent].reduce(0, +))
    }
}
