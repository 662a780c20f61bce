import Foundation
import Glibc
@_spi(Benchmarks) import ICE
import Synchronization
import TestSupport
import Testing

/// RTP and RTCP read around libnice (`ICEAgent.onReceiveRTP`): a second socket on the
/// selected pair's port takes them, libnice keeps everything else.
@Suite struct RTPSocketTests {
    /// `b` with `onReceiveRTP` counting what it gets, and the kernel times it saw.
    final class Receiver: @unchecked Sendable {
        let rtp = Atomic<Int>(0)
        let rtcp = Atomic<Int>(0)
        let others = Atomic<Int>(0)
        let rtpThroughLibnice = Atomic<Int>(0)
        let untimed = Atomic<Int>(0)
        let lastIndex = Atomic<Int>(-1)
        let earliest = Atomic<UInt64>(.max)
        let latest = Atomic<UInt64>(0)
        let outOfOrder = Atomic<Int>(0)
        let lengths = Mutex<[Int]>([])

        func attach(to pair: AgentPair) throws {
            try pair.onB { agent in
                agent.onReceiveRTP = { bytes, time in
                    guard !(192...223).contains(bytes[1]) else {
                        self.rtcp.add(1, ordering: .relaxed)
                        return
                    }
                    self.rtp.add(1, ordering: .relaxed)
                    if time == 0 { self.untimed.add(1, ordering: .relaxed) }
                    // Only `b`'s worker writes these.
                    self.earliest.store(Swift.min(time, self.earliest.load(ordering: .relaxed)), ordering: .relaxed)
                    self.latest.store(Swift.max(time, self.latest.load(ordering: .relaxed)), ordering: .relaxed)
                    let index = Int(RTPSocketTests.index(of: bytes))
                    if index <= self.lastIndex.load(ordering: .relaxed) { self.outOfOrder.add(1, ordering: .relaxed) }
                    self.lastIndex.store(index, ordering: .relaxed)
                    self.lengths.withLock { $0.append(bytes.count) }
                }
                agent.onReceive = { bytes in
                    if bytes.count > 1, bytes[0] & 0xC0 == 0x80 {
                        self.rtpThroughLibnice.add(1, ordering: .relaxed)
                    } else {
                        self.others.add(1, ordering: .relaxed)
                    }
                }
            }
        }
    }

    /// An RTP-shaped datagram (version 2, payload type 96) numbered `index`, or an
    /// RTCP-shaped one (a receiver report), or a DTLS-shaped one (a handshake record).
    static func datagram(_ index: Int, rtcp: Bool = false, dtls: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: 0x42, count: rtcp ? 32 : 1_000)
        bytes[0] = dtls ? 22 : 0x80
        bytes[1] = rtcp ? 201 : dtls ? 0xFE : 96
        withUnsafeBytes(of: UInt32(index).bigEndian) { bytes.replaceSubrange(8..<12, with: $0) }
        return bytes
    }

    static func index(of bytes: UnsafeRawBufferPointer) -> UInt32 {
        bytes.count >= 12 ? UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) : 0
    }

    static func send(
        _ pair: AgentPair,
        count: Int,
        first: Int = 0,
        rtcp: Bool = false,
        dtls: Bool = false
    ) throws -> Int {
        try pair.onA { agent in
            var sent = 0
            for index in first..<(first + count) {
                if Self.datagram(index, rtcp: rtcp, dtls: dtls).withUnsafeBytes({ agent.send($0) }) { sent += 1 }
                if index % 100 == 99 { usleep(1_000) }
            }
            return sent
        }
    }

    /// A connected pair whose `b` reads RTP around libnice into a `Receiver`.
    static func connected() throws -> (AgentPair, Receiver) {
        let pair = try AgentPair()
        let receiver = Receiver()
        try receiver.attach(to: pair)
        try pair.connect()
        #expect(pair.waitUntilReady())
        return (pair, receiver)
    }

    @Test func rtpAndRTCPComeAroundLibniceWithKernelTimesAndTheRestThroughIt() throws {
        let (pair, receiver) = try Self.connected()
        defer { pair.close() }
        #expect(try pair.onB { $0.readsRTPAroundLibnice })
        let before = SelectedUDPSocket.wallClock
        #expect(try Self.send(pair, count: 500) == 500)
        #expect(try Self.send(pair, count: 20, rtcp: true) == 20)
        let sentBy = SelectedUDPSocket.wallClock
        #expect(try Self.send(pair, count: 10, dtls: true) == 10)
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtp.load(ordering: .relaxed) >= 500 })
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtcp.load(ordering: .relaxed) >= 20 })
        #expect(Polling.until(limit: .seconds(5)) { receiver.others.load(ordering: .relaxed) >= 10 })
        #expect(receiver.rtp.load(ordering: .relaxed) == 500)
        #expect(receiver.rtpThroughLibnice.load(ordering: .relaxed) == 0)
        #expect(receiver.lastIndex.load(ordering: .relaxed) == 499)
        // Each datagram carries the time the kernel took it, within the sending.
        #expect(receiver.untimed.load(ordering: .relaxed) == 0)
        #expect(receiver.earliest.load(ordering: .relaxed) >= before)
        #expect(receiver.latest.load(ordering: .relaxed) <= sentBy)
        #expect(receiver.others.load(ordering: .relaxed) == 10)
        #expect(try pair.onB { $0.receivedDatagrams } >= 530, "the silence watchdog counts both paths")
    }

    /// Datagrams that arrive together come up as one message (UDP GRO: here a GSO send,
    /// on a network card what it coalesced): each is read on its own, whole and in
    /// order, with RTCP and audio between runs of video.
    @Test func datagramsThatArriveTogetherAreReadOneByOne() throws {
        let (pair, receiver) = try Self.connected()
        defer { pair.close() }
        let rounds = 20
        // A frame of video in five packets (the last shorter), an audio packet, RTCP.
        let lengths = [1_000, 1_000, 1_000, 1_000, 700, 120, 32]
        let sent = try pair.onA { agent -> Int in
            guard let socket = agent.selectedSocket() else { return 0 }
            var sent = 0
            for round in 0..<rounds {
                var packed: [UInt8] = []
                for (offset, length) in lengths.enumerated() {
                    let datagram = Self.datagram(round * lengths.count + offset, rtcp: offset == lengths.count - 1)
                    packed += datagram.prefix(length) + [UInt8](repeating: 0x42, count: max(0, length - datagram.count))
                }
                sent += packed.withUnsafeBytes { bytes in
                    lengths.withUnsafeBufferPointer { socket.send(packed: bytes, lengths: $0) }
                }
            }
            return sent
        }
        #expect(sent == rounds * lengths.count)
        let rtp = rounds * (lengths.count - 1)
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtp.load(ordering: .relaxed) >= rtp })
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtcp.load(ordering: .relaxed) >= rounds })
        #expect(receiver.rtp.load(ordering: .relaxed) == rtp)
        #expect(receiver.rtcp.load(ordering: .relaxed) == rounds)
        #expect(receiver.rtpThroughLibnice.load(ordering: .relaxed) == 0)
        let rtpLengths = Array(repeating: Array(lengths.dropLast()), count: rounds).flatMap { $0 }
        #expect(receiver.lengths.withLock { $0 } == rtpLengths)
        #expect(receiver.lastIndex.load(ordering: .relaxed) == rounds * lengths.count - 2)
        #expect(receiver.outOfOrder.load(ordering: .relaxed) == 0)
        // The kernel handed the runs over as one message each.
        #expect(try pair.onB { $0.coalescedMessages } >= rounds)
    }

    /// RTP from an address that is not the selected pair's is dropped and counted, as
    /// libnice drops datagrams from addresses it has no pair for.
    @Test func rtpFromAnotherAddressIsDropped() throws {
        let (pair, receiver) = try Self.connected()
        defer { pair.close() }
        let local = try #require(try pair.onB { $0.selectedPair?.local })
        let port = try #require(UInt16(local.split(separator: ":").last ?? ""))
        let stranger = try GroupedSendTests.boundSocket()
        defer { close(stranger.descriptor) }
        let out = SelectedUDPSocket(descriptor: stranger.descriptor, ipv4: "127.0.0.1", port: port)
        for index in 0..<50 { #expect(Self.datagram(index).withUnsafeBytes { out.send($0) }) }
        #expect(Polling.until(limit: .seconds(5)) { (try? pair.onB { $0.droppedForeignDatagrams }) == 50 })
        #expect(receiver.rtp.load(ordering: .relaxed) == 0)
        #expect(receiver.rtpThroughLibnice.load(ordering: .relaxed) == 0)
        // The pair goes on.
        #expect(try Self.send(pair, count: 100) == 100)
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtp.load(ordering: .relaxed) == 100 })
    }

    /// STUN still reaches libnice with the RTP socket open: an ICE restart checks and
    /// selects a pair again, and RTP comes around libnice on it.
    @Test func anICERestartGoesThroughLibniceAndRTPFollowsTheNewPair() throws {
        let (pair, receiver) = try Self.connected()
        defer { pair.close() }
        #expect(try Self.send(pair, count: 200) == 200)
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtp.load(ordering: .relaxed) == 200 })
        try pair.onA { try $0.restart() }
        try pair.onB { try $0.restart() }
        #expect(try pair.reconnectAfterRestart(), "no pair selected with the new credentials")
        #expect(pair.waitUntilReady())
        #expect(try pair.onB { $0.readsRTPAroundLibnice })
        #expect(try Self.send(pair, count: 300, first: 200) == 300)
        #expect(Polling.until(limit: .seconds(5)) { receiver.rtp.load(ordering: .relaxed) == 500 })
        #expect(receiver.lastIndex.load(ordering: .relaxed) == 499)
        #expect(receiver.rtpThroughLibnice.load(ordering: .relaxed) == 0)
    }

    /// Without `onReceiveRTP`, libnice hands everything over, as before.
    @Test func withoutTheCallbackLibniceReadsEverything() throws {
        let pair = try AgentPair()
        defer { pair.close() }
        try pair.connect()
        #expect(pair.waitUntilReady())
        #expect(try !pair.onB { $0.readsRTPAroundLibnice })
        #expect(try Self.send(pair, count: 100) == 100)
        #expect(pair.waitForB(toReceive: 100))
    }
}
