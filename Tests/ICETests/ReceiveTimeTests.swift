import Foundation
import Glibc
@_spi(Benchmarks) import ICE
import Testing

/// The kernel's receive time of the datagram last read from a socket, which the load
/// generator uses to measure the latency the server adds without its own queueing.
@Suite struct ReceiveTimeTests {
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
        /// Sends a datagram, leaves it 20 ms in the socket, reads it: its time, and the
        /// moments just before and just after the send.
        func roundTrip() throws -> (time: UInt64, before: UInt64, sentBy: UInt64) {
            let before = SelectedUDPSocket.wallClock
            #expect([UInt8](repeating: 7, count: 100).withUnsafeBytes { out.send($0) })
            let sentBy = SelectedUDPSocket.wallClock
            Thread.sleep(forTimeInterval: 0.02)
            #expect(recv(receiver.descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 100)
            return (try #require(probe.lastReceiveTime()), before, sentBy)
        }
        // The first socket on the machine to ask has the kernel turn stamping on in
        // deferred work; until it runs, a read gets the time of the call (later than
        // the send), never an earlier one.
        var stamped = false
        for _ in 0..<250 where !stamped {
            let trip = try roundTrip()
            #expect(trip.time >= trip.before)
            stamped = trip.time <= trip.sentBy
        }
        #expect(stamped, "the kernel never stamped a datagram")
        for round in 0..<3 {
            let trip = try roundTrip()
            #expect(
                trip.time >= trip.before && trip.time <= trip.sentBy,
                "round \(round): \(trip.time) not in \(trip.before)...\(trip.sentBy)"
            )
        }
    }
}
