import Foundation
import Glibc
@_spi(Benchmarks) import ICE
import Testing

/// An outbox's datagrams go out as UDP GSO groups in one `sendmmsg`: every datagram
/// must arrive whole, in order, with its own length, whatever the mix of sizes.
@Suite struct GroupedSendTests {
    /// A UDP socket bound to 127.0.0.1 on a port of the kernel's choosing.
    static func boundSocket() throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        try #require(bound)
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    /// Sends datagrams of `lengths` (each filled with its index) packed, and returns how
    /// many the kernel took and what arrived: each datagram's length and fill.
    static func roundTrip(_ lengths: [Int]) throws -> (sent: Int, received: [(length: Int, fill: UInt8)]) {
        let receiver = try Self.boundSocket()
        let sender = try Self.boundSocket()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        let socket = SelectedUDPSocket(descriptor: sender.descriptor, ipv4: "127.0.0.1", port: receiver.port)
        var packed: [UInt8] = []
        for (index, length) in lengths.enumerated() { packed += [UInt8](repeating: UInt8(index), count: length) }
        let sent = packed.withUnsafeBytes { bytes in
            lengths.withUnsafeBufferPointer { socket.send(packed: bytes, lengths: $0) }
        }
        var received: [(Int, UInt8)] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while received.count < sent {
            let length = recv(receiver.descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard length > 0 else { break }
            let fill = buffer[0]
            #expect(buffer[0..<length].allSatisfy { $0 == fill }, "datagram \(received.count) is mixed")
            received.append((length, fill))
        }
        return (sent, received)
    }

    @Test func mixedSizesArriveWholeAndInOrder() throws {
        // Runs of video with audio and short packets between them: groups end at a change
        // of size, and a shorter datagram may end a run.
        let lengths = [1200, 1200, 150, 1200, 1200, 1200, 900, 60, 60, 1200, 300, 1200, 1200]
        let (sent, received) = try Self.roundTrip(lengths)
        #expect(sent == lengths.count)
        #expect(received.map(\.length) == lengths)
        #expect(received.map(\.fill) == (0..<lengths.count).map(UInt8.init))
    }

    @Test func longRunsAreSplitAtTheSegmentAndByteLimits() throws {
        // 70 equal datagrams: more than one GSO send may carry, in segments and in bytes.
        let lengths = [Int](repeating: 1200, count: 70) + [40] + [Int](repeating: 1000, count: 3)
        let (sent, received) = try Self.roundTrip(lengths)
        #expect(sent == lengths.count)
        #expect(received.map(\.length) == lengths)
        #expect(received.map(\.fill) == (0..<lengths.count).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func randomMixesArriveWholeAndInOrder() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let count = Int.random(in: 2...24, using: &random)
            let sizes = [60, 150, 900, 1200]
            let lengths = (0..<count).map { _ in sizes.randomElement(using: &random)! }
            let (sent, received) = try Self.roundTrip(lengths)
            #expect(sent == lengths.count)
            #expect(received.map(\.length) == lengths, "\(lengths)")
        }
    }
}
