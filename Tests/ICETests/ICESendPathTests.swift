import CUDP
import Foundation
import Glibc
import ICE
import Synchronization
import Testing

/// Sending around libnice on the selected pair's socket, and the pairs where that is
/// not possible.
@Suite(.serialized) struct ICESendPathTests {
    @Test func sendmmsgOnTheSelectedSocketReachesThePeersAgent() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())
        let sent = try pair.onA { agent -> Int in
            guard let socket = agent.selectedSocket() else { return -1 }
            var total = 0
            var payloads = (0..<64).map { _ in [UInt8](repeating: 7, count: 1200) }
            for round in 0..<20 {
                for index in payloads.indices {
                    withUnsafeBytes(of: UInt32(round * 64 + index)) { payloads[index].replaceSubrange(0..<4, with: $0) }
                }
                total += Self.withIOVectors(&payloads) { socket.send(batch: $0) }
                usleep(2000)
            }
            return total
        }
        #expect(sent == 1_280)
        #expect(pair.waitForB(toReceive: 1_280))
        #expect(pair.lastIndexAtB.load(ordering: .relaxed) == 1_279)
    }

    @Test func udpSegmentationOffloadSendsEqualDatagramsInOneCall() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())
        let sent = try pair.onA { agent -> Bool in
            guard let socket = agent.selectedSocket() else { return false }
            // 10 datagrams of 1,200 bytes and a shorter last one, in one send.
            let bytes = [UInt8](repeating: 9, count: 1200 * 10 + 300)
            return bytes.withUnsafeBytes { socket.send(segments: $0, segmentSize: 1200) }
        }
        #expect(sent)
        #expect(pair.waitForB(toReceive: 11))
        #expect(pair.receivedByB.load(ordering: .relaxed) == 11)
        let refused = try pair.onA { agent -> Bool in
            let tooMany = [UInt8](repeating: 0, count: 100 * (SelectedUDPSocket.maxSegments + 1))
            return tooMany.withUnsafeBytes { agent.selectedSocket()?.send(segments: $0, segmentSize: 100) ?? true }
        }
        #expect(!refused)
    }

    /// An outbox's datagrams, packed: equal sizes go as one GSO send, mixed sizes as one
    /// `sendmmsg`, one alone as a plain send; each arrives as its own datagram.
    @Test func packedDatagramsGoOutInOneSendOfTheRightKind() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())
        let sent = try pair.onA { agent -> [Int] in
            guard let socket = agent.selectedSocket() else { return [] }
            func send(_ lengths: [Int]) -> Int {
                let packed = [UInt8](repeating: 5, count: lengths.reduce(0, +))
                return packed.withUnsafeBytes { bytes in
                    lengths.withUnsafeBufferPointer { socket.send(packed: bytes, lengths: $0) }
                }
            }
            return [send([1200, 1200, 1200, 800]), send([300, 1200, 90, 1200, 700]), send([500])]
        }
        #expect(sent == [4, 5, 1])
        #expect(pair.waitForB(toReceive: 10))
        #expect(pair.receivedByB.load(ordering: .relaxed) == 10)
    }

    @Test func iceTCPConnectsWhenUDPIsFilteredAndOffersNoSocket() throws {
        let pair = try AgentPair(a: .init(isControlling: true, usesTCP: true), b: .init(usesTCP: true))
        defer { pair.close() }
        try pair.exchangeCredentials()
        pair.trickle { $0.contains(" TCP ") }  // as if a firewall dropped UDP
        try pair.gather()
        #expect(pair.waitUntilReady(), "ICE-TCP did not connect")
        let selected = try pair.onA { $0.selectedPair }
        #expect(selected?.isPlainUDP == false)
        #expect(try pair.onA { $0.selectedSocket() } == nil)
        #expect(pair.sendFromA(count: 200) == 200)
        #expect(pair.waitForB(toReceive: 200))
    }

    static func withIOVectors<R>(_ buffers: inout [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> R) -> R {
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        for index in buffers.indices {
            buffers[index].withUnsafeMutableBytes { bytes in
                vectors.append(iovec(iov_base: bytes.baseAddress, iov_len: bytes.count))
            }
        }
        return vectors.withUnsafeBufferPointer(body)
    }
}
