import Foundation
import Glibc
@_spi(Benchmarks) import ICE
import Testing

/// The kernel's receive time of the datagram last read from a socket, which the load
/// generator uses to measure the latency the server adds without its own queueing.
@Suite struct ReceiveTimeTests {
    static func wallClock() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    @Test func theTimeIsWhenTheDatagramArrivedNotWhenItWasRead() throws {
        let receiver = try GroupedSendTests.boundSocket()
        let sender = try GroupedSendTests.boundSocket()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        let probe = SelectedUDPSocket(descriptor: receiver.descriptor, ipv4: "127.0.0.1", port: 9)
        #expect(probe.lastReceiveTime() == nil, "no datagram read yet")
        probe.startReceiveTimes()
        let out = SelectedUDPSocket(descriptor: sender.descriptor, ipv4: "127.0.0.1", port: receiver.port)
        var buffer = [UInt8](repeating: 0, count: 2_048)
        for round in 0..<3 {
            let before = Self.wallClock()
            let sent = [UInt8](repeating: UInt8(round), count: 100).withUnsafeBytes { out.send($0) }
            #expect(sent)
            let sentBy = Self.wallClock()
            // The datagram waits in the socket; the time read must be its arrival.
            Thread.sleep(forTimeInterval: 0.05)
            #expect(recv(receiver.descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 100)
            let time = try #require(probe.lastReceiveTime())
            #expect(time >= before && time <= sentBy, "round \(round): \(time) not in \(before)...\(sentBy)")
        }
    }
}
