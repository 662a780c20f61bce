public import CUDP
import Glibc

/// The selected pair's UDP socket and destination, for sending around libnice: one
/// `sendmmsg` for many datagrams, or one UDP GSO send for equal-sized ones.
///
/// The descriptor belongs to libnice. It is valid while the agent is open and the pair
/// stays selected; fetch it again after `ICEAgent.onSelectedPairChange`. Use it on the
/// agent's worker only, like the agent.
public struct SelectedUDPSocket: Sendable {
    public let descriptor: Int32
    var destination: sockaddr_storage
    var destinationLength: socklen_t

    init(descriptor: Int32, destination: sockaddr_storage, destinationLength: socklen_t) {
        self.descriptor = descriptor
        self.destination = destination
        self.destinationLength = destinationLength
    }

    /// A socket of the caller's to an IPv4 destination, for benchmarks that measure the
    /// forwarding path without ICE.
    @_spi(Benchmarks) public init(descriptor: Int32, ipv4 address: String, port: UInt16) {
        let destination = cudp_ipv4_destination(address, port)
        self.init(descriptor: descriptor, destination: destination.storage, destinationLength: destination.length)
    }

    /// Sends one datagram; false when the kernel refused it (buffer full, peer gone).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return self.withDestination { to, length in
            cudp_send(self.descriptor, to, length, base, bytes.count) == bytes.count
        }
    }

    /// Sends every datagram described by `datagrams` with `sendmmsg(2)`; returns how many
    /// the kernel took (all of them unless its buffer filled).
    public func send(batch datagrams: UnsafeBufferPointer<iovec>) -> Int {
        guard let base = datagrams.baseAddress, !datagrams.isEmpty else { return 0 }
        let sent = self.withDestination { to, length in
            cudp_send_batch(self.descriptor, to, length, base, UInt32(datagrams.count))
        }
        return max(0, Int(sent))
    }

    /// Sends `bytes` as consecutive datagrams of `segmentSize` bytes (the last may be
    /// shorter) in one UDP GSO send: at most `maxSegments` datagrams and
    /// `maxSegmentedBytes` bytes per call.
    @discardableResult
    public func send(segments bytes: UnsafeRawBufferPointer, segmentSize: Int) -> Bool {
        guard let base = bytes.baseAddress, segmentSize > 0, bytes.count <= Self.maxSegmentedBytes,
            (bytes.count + segmentSize - 1) / segmentSize <= Self.maxSegments
        else { return false }
        return self.withDestination { to, length in
            cudp_send_segments(self.descriptor, to, length, base, bytes.count, UInt16(segmentSize)) == bytes.count
        }
    }

    /// Sends datagrams packed one after another in `packed`, of `lengths` bytes each: one
    /// datagram alone, else one `sendmmsg` whose messages are UDP GSO groups (runs of one
    /// size, the last of each run may be shorter), so that a burst of video with audio
    /// between its packets still goes through the stack a few times, not once a datagram.
    /// Returns how many the kernel took.
    public func send(packed: UnsafeRawBufferPointer, lengths: UnsafeBufferPointer<Int>) -> Int {
        guard let base = packed.baseAddress, !lengths.isEmpty else { return 0 }
        if lengths.count == 1 { return self.send(packed) ? 1 : 0 }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: lengths.count) { vectors in
            var offset = 0
            for (index, length) in lengths.enumerated() {
                vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + offset), iov_len: length)
                offset += length
            }
            let datagrams = UnsafeBufferPointer(vectors)
            let sent = self.withDestination { to, length in
                cudp_send_grouped(self.descriptor, to, length, datagrams.baseAddress, UInt32(datagrams.count))
            }
            // A route that cannot segment (-EIO): the datagrams go one message each.
            return sent == -EIO ? self.send(batch: datagrams) : max(0, Int(sent))
        }
    }

    /// When the kernel received the last datagram read from this socket, in nanoseconds
    /// of the realtime clock: the arrival time of the packet just handed to the caller,
    /// before any queueing in the process. Nil until a datagram was read. Call
    /// `startReceiveTimes()` first: a datagram that arrived before carries no time, and
    /// the kernel answers with the time of the call instead.
    public func lastReceiveTime() -> UInt64? {
        let time = cudp_last_receive_time(self.descriptor)
        return time > 0 ? UInt64(time) : nil
    }

    /// Now on the realtime clock, the one `lastReceiveTime()` is on, in nanoseconds.
    @inline(__always) public static var wallClock: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Has the kernel stamp the datagrams that arrive from now on with their time.
    public func startReceiveTimes() {
        _ = cudp_last_receive_time(self.descriptor)
    }

    /// The most datagrams one GSO send may carry (the kernel's UDP_MAX_SEGMENTS).
    public static let maxSegments = Int(CUDP_MAX_SEGMENTS)
    /// The most bytes one GSO send may carry: one UDP datagram's worth over IPv4.
    public static let maxSegmentedBytes = Int(CUDP_MAX_SEGMENTED_BYTES)

    private func withDestination<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: self.destination) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, self.destinationLength) }
        }
    }
}
