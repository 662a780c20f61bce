internal import CUDP
import Glibc

/// A second socket on the selected pair's local address that takes the pair's RTP and
/// RTCP around libnice, read in batches (docs/decisions.md, "RTP is read around libnice").
///
/// libnice's socket and this one share the port through SO_REUSEPORT, and a BPF program
/// on the pair decides per datagram: RTP and RTCP come here, everything else (STUN,
/// DTLS) goes on to libnice. Once the agent has a `BindingResponder`, the selected
/// remote's binding requests come here as well and are answered here; libnice's own
/// keepalive checks, and their answers, still go through libnice. Closed, libnice
/// gets everything again. Only datagrams from the selected pair's remote address are
/// taken; the rest is dropped and counted, as libnice drops datagrams from addresses it
/// has no pair for.
final class RTPSocket {
    let descriptor: Int32
    private var source: sockaddr_storage
    private let sourceLength: socklen_t

    /// A socket beside `shared` (libnice's descriptor) for the RTP from `source`; nil
    /// when the kernel refuses (no SO_REUSEPORT or reuseport BPF): libnice then reads
    /// everything, as before.
    init?(beside shared: Int32, from source: sockaddr_storage, length: socklen_t, bufferSize: Int32) {
        let descriptor = cudp_open_rtp_socket(shared, bufferSize)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        self.source = source
        self.sourceLength = length
    }

    /// Reads what is ready, at most `ReceiveBatch.count` messages in one system call.
    func receive(into batch: ReceiveBatch) -> Int {
        withUnsafePointer(to: &self.source) { source in
            source.withMemoryRebound(to: sockaddr.self, capacity: 1) { from in
                Int(
                    cudp_receive_batch(
                        self.descriptor,
                        from,
                        self.sourceLength,
                        batch.buffers,
                        ReceiveBatch.stride,
                        ReceiveBatch.capacity,
                        batch.received,
                        UInt32(ReceiveBatch.count)
                    )
                )
            }
        }
    }

    /// Steers the selected remote's STUN binding requests here too (`BindingResponder`);
    /// false when the kernel refused the program (libnice then keeps answering them).
    func steerBindingRequests() -> Bool {
        withUnsafePointer(to: &self.source) { source in
            source.withMemoryRebound(to: sockaddr.self, capacity: 1) { from in
                cudp_steer_binding_requests(self.descriptor, from, self.sourceLength) == 0
            }
        }
    }

    /// Back to RTP and RTCP only: libnice answers every binding request.
    func steerMediaOnly() {
        _ = cudp_steer_media_only(self.descriptor)
    }

    /// Sends `bytes` to the selected remote address from the pair's local port.
    @discardableResult
    func sendToSource(_ bytes: [UInt8]) -> Bool {
        withUnsafePointer(to: &self.source) { source in
            source.withMemoryRebound(to: sockaddr.self, capacity: 1) { to in
                bytes.withUnsafeBytes { bytes in
                    cudp_send(self.descriptor, to, self.sourceLength, bytes.baseAddress, bytes.count) == bytes.count
                }
            }
        }
    }

    /// The selected remote address datagrams come from.
    var sourceAddress: sockaddr_storage { self.source }

    func close() {
        Glibc.close(self.descriptor)
    }
}

/// Buffers for one `RTPSocket.receive`, one set per worker: what is read is handled
/// before the next read.
final class ReceiveBatch {
    static let count = 32
    /// Bytes per message: a whole UDP datagram's worth, for the datagrams the kernel
    /// hands over together (UDP GRO). The kernel writes only what arrived; the rest of
    /// each buffer is never touched, so never resident.
    static let capacity = 65_536
    /// From one buffer to the next: a little over `capacity`, so that the buffers' first
    /// bytes (the headers read on every packet) do not all fall in one set of the cache.
    static let stride = capacity + 256
    let buffers: UnsafeMutablePointer<UInt8>
    let received: UnsafeMutablePointer<cudp_received>

    init() {
        self.buffers = .allocate(capacity: Self.count * Self.stride)
        self.received = .allocate(capacity: Self.count)
        self.received.initialize(repeating: cudp_received(), count: Self.count)
    }

    deinit {
        self.buffers.deallocate()
        self.received.deallocate()
    }

    /// The `index`th message read and the size of the datagrams in it (0 when it holds
    /// one), or nil when it came from another address.
    @inline(__always)
    func message(_ index: Int) -> (bytes: UnsafeRawBufferPointer, segmentSize: Int, time: UInt64)? {
        let received = self.received[index]
        guard received.length > 0 else { return nil }
        return (
            UnsafeRawBufferPointer(start: self.buffers + index * Self.stride, count: Int(received.length)),
            Int(received.segment_size),
            received.time
        )
    }
}
