import Benchmark
import DTLS
import Foundation
import Glibc
@_spi(Benchmarks) import ICE
import NIOCore
import RTP
@_spi(Benchmarks) import SFU

/// One producer fanned out to 1, 10, 100 and 500 consumers through the real per-packet
/// path: SRTP unprotect of the publisher's packet, parse, producer, then per consumer the
/// egress copy with its own SSRC / sequence number / timestamp / payload type, SRTP
/// protect (AEAD_AES_128_GCM) and a `sendto` on a UDP socket to a sink on 127.0.0.1.
/// Every iteration forwards about `forwardedPerIteration` packets, on the benchmark's
/// thread (the rig's media paths have fixed keys and no connection, so no worker). The
/// reference, measured in the same run, is one SRTP protect plus one send of the same
/// packet per forwarded packet: the floor the SFU's own work sits on.
let forwardedPerIteration = 10_000
let payloadSize = 1_100

/// A UDP socket on 127.0.0.1 that is never read: the kernel drops what overflows it.
struct Sink {
    let descriptor: Int32
    let port: UInt16

    init() {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = UInt16(bigEndian: address.sin_port)
    }
}

/// The sending side of the publisher: protected RTP packets with fresh sequence numbers
/// (the SFU's replay check refuses repeats), made outside the measurement. With several
/// simulcast layers, the layers' streams take turns, `run` packets each (a frame of each
/// layer, as they arrive together), each stream numbered on its own. The payload is VP8
/// as Chromium sends it: a descriptor with a 15-bit picture id, TL0PICIDX and the
/// temporal layer of three (0, 2, 1, 2, ...), counted per stream.
final class PublisherPackets {
    let srtp: SRTPContext
    let layers: Int
    var sequenceNumbers: [UInt16]
    var transportSequence: UInt16 = 1
    var timestamp: UInt32 = 1
    /// Frames made so far: the picture id, the temporal pattern and TL0PICIDX follow it.
    var frame = 0
    var datagrams: [[UInt8]] = []

    let run: Int

    init(key: [UInt8], layers: Int = 1, run: Int = 1) throws {
        self.srtp = try SRTPContext(profile: .aeadAES128GCM, keyAndSalt: key, direction: .outbound)
        self.layers = layers
        self.run = run
        self.sequenceNumbers = Array(repeating: 1, count: layers)
    }

    func make(_ count: Int) throws {
        self.datagrams.removeAll(keepingCapacity: true)
        var buffer = ByteBufferAllocator().buffer(capacity: 1500)
        for index in 0..<count {
            let layer = (index / self.run) % self.layers
            buffer.clear()
            buffer.writeBytes([0x90, 96])
            buffer.writeInteger(self.sequenceNumbers[layer])
            buffer.writeInteger(self.timestamp)
            buffer.writeInteger(ForwardingRig.publisherSSRC &+ UInt32(layer))
            // The transport-wide sequence number, as browsers send it (one-byte header).
            buffer.writeBytes([0xBE, 0xDE, 0, 1, ForwardingRig.transportWideSequenceID << 4 | 1])
            buffer.writeInteger(self.transportSequence)
            buffer.writeInteger(UInt8(0))
            let temporalLayer = UInt8([0, 2, 1, 2][self.frame % 4])
            let startsFrame = index % self.run == 0
            buffer.writeBytes([
                startsFrame ? 0x90 : 0x80, 0xE0, 0x80 | UInt8((self.frame >> 8) & 0x7F), UInt8(self.frame & 0xFF),
                UInt8(truncatingIfNeeded: self.frame / 4), temporalLayer << 6 | (temporalLayer == 0 ? 0 : 0x20),
            ])
            buffer.writeRepeatingByte(0x42, count: payloadSize - 6)
            self.transportSequence &+= 1
            try self.srtp.protect(&buffer)
            self.datagrams.append(buffer.readableBytesView.map { $0 })
            self.sequenceNumbers[layer] &+= 1
            if (index + 1) % (self.run * self.layers) == 0 {
                self.timestamp &+= 3_000
                self.frame += 1
            }
        }
    }
}

final class Setup: @unchecked Sendable {
    let sink = Sink()
    var rig: ForwardingRig!
    let transportFeedback: Bool
    var packets: PublisherPackets!
    /// Resident memory the consumers' media paths added, per path.
    var bytesPerPeer = 0
    /// The publisher's path checks every datagram against a limit, as a server's do
    /// (`--max-publisher-bitrate`), one the benchmark's rates never reach.
    static let unreachedLimit = 100_000_000_000

    init(
        consumers: Int,
        usesSocket: Bool,
        transportFeedback: Bool,
        subscriberExtensions: Bool,
        simulcastLayers: Int = 1,
        temporalLayers: Bool = false,
        run: Int = 1
    ) throws {
        let before = Self.residentBytes()
        self.transportFeedback = transportFeedback
        self.rig = try ForwardingRig(
            consumers: consumers,
            sink: usesSocket ? (self.sink.descriptor, self.sink.port) : nil,
            transportFeedback: transportFeedback,
            subscriberExtensions: subscriberExtensions,
            simulcastLayers: simulcastLayers,
            temporalLayers: temporalLayers,
            maximumPublisherBitrate: Self.unreachedLimit
        )
        self.bytesPerPeer = (Self.residentBytes() - before) / max(1, consumers)
        self.packets = try PublisherPackets(key: self.rig.publisherKey, layers: simulcastLayers, run: run)
    }

    func close() {
        precondition(!self.transportFeedback || self.rig.feedbackSent > 0, "no transport-wide feedback was made")
        self.rig.close()
        Glibc.close(self.sink.descriptor)
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// One iteration: `inputs` publisher packets through the rig, measured; returns the
    /// nanoseconds per forwarded packet.
    func run(_ benchmark: Benchmark, inputs: Int, burst: Int) throws {
        try self.packets.make(inputs)
        let forwardedBefore = self.rig.forwarded
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        let elapsed = clock.measure {
            for (index, datagram) in self.packets.datagrams.enumerated() {
                datagram.withUnsafeBytes { self.rig.receive($0) }
                if (index + 1) % burst == 0 { self.rig.endBurst() }
            }
            self.rig.endBurst()
        }
        benchmark.stopMeasurement()
        let forwarded = self.rig.forwarded - forwardedBefore
        precondition(forwarded > 0, "nothing was forwarded")
        benchmark.measurement(nanosecondsPerPacket, nanoseconds(elapsed) / Int(forwarded))
        benchmark.measurement(memoryPerPeer, self.bytesPerPeer / 1024)
    }
}

/// The floor: per packet, the egress copy's bytes protected by SRTP and sent once.
final class Reference: @unchecked Sendable {
    let sink = Sink()
    let srtp: SRTPContext
    let socket: SelectedUDPSocket
    var buffer = ByteBufferAllocator().buffer(capacity: 1500)
    var sequenceNumber: UInt16 = 0

    init() throws {
        self.srtp = try SRTPContext(
            profile: .aeadAES128GCM,
            keyAndSalt: (0..<28).map { UInt8($0) },
            direction: .outbound
        )
        self.socket = SelectedUDPSocket(descriptor: self.sink.descriptor, ipv4: "127.0.0.1", port: self.sink.port)
    }

    func run(_ benchmark: Benchmark) throws {
        let clock = ContinuousClock()
        benchmark.startMeasurement()
        let elapsed = try clock.measure {
            for _ in 0..<forwardedPerIteration {
                self.buffer.clear()
                self.buffer.writeBytes([0x80, 100])
                self.buffer.writeInteger(self.sequenceNumber)
                self.buffer.writeInteger(UInt32(7))
                self.buffer.writeInteger(UInt32(0x0BAD_CAFE))
                self.buffer.writeRepeatingByte(0x42, count: payloadSize)
                try self.srtp.protect(&self.buffer)
                _ = self.buffer.withUnsafeReadableBytes { self.socket.send($0) }
                self.sequenceNumber &+= 1
            }
        }
        benchmark.stopMeasurement()
        benchmark.measurement(nanosecondsPerPacket, nanoseconds(elapsed) / forwardedPerIteration)
    }
}

func nanoseconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
}

let nanosecondsPerPacket = BenchmarkMetric.custom(
    "ns per forwarded packet",
    polarity: .prefersSmaller,
    useScalingFactor: false
)
let memoryPerPeer = BenchmarkMetric.custom(
    "KiB per consumer media path",
    polarity: .prefersSmaller,
    useScalingFactor: false
)

nonisolated(unsafe) var setups: [String: Setup] = [:]
nonisolated(unsafe) var reference: Reference?

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, nanosecondsPerPacket]

    Benchmark(
        "ForwardReferenceProtectAndSend",
        configuration: .init(
            metrics: metrics,
            scalingFactor: .one,
            maxDuration: .seconds(3),
            setup: { if reference == nil { reference = try Reference() } }
        )
    ) { benchmark in
        try reference!.run(benchmark)
    }

    // A burst is what the worker reads before it polls again; each consumer's outbox goes
    // out at its end. One packet per burst is the worst case for batching; a video frame
    // of about 1 Mbit/s at 30 frames/s arrives as a burst of about 4. 1 → 6 is a room of
    // 7. "TransportCC": the publisher's path records arrivals and sends transport-wide
    // feedback, as for a browser; "Browsers": besides, every copy carries a browser
    // subscriber's header extensions (mid, abs-send-time, transport-wide sequence number
    // in the send history). The same case without them, in the same run, is their cost.
    // "Simulcast": the publisher sends three simulcast streams, a burst holding 4 packets
    // of each, and the consumers forward one each (a third of them each stream): every
    // packet is offered to every consumer and a third take it, 4 per burst each as in the
    // plain case. Its cost per forwarded packet against the plain case is what choosing
    // layers per packet costs, with the ingress work shared by a third as many copies:
    // 1 -> 6 simulcast takes each packet to 2 consumers, as 1 -> 2 does without the 4
    // consumers that pass. "Temporal": consumer i forwards temporal layers up to i % 3 of
    // the three the publisher sends (0, 2, 1, 2, ...): a third take every frame, a third
    // one in two, a third one in four (7 in 12 of all copies made), renumbering picture
    // ids and sequence numbers over the frames they leave out.
    enum Peers { case plain, transportCC, browsers, simulcast, temporal }
    let cases: [(Int, Bool, Int, Peers)] = [
        (1, true, 1, .plain), (10, true, 1, .plain), (100, true, 1, .plain), (500, true, 1, .plain),
        (100, false, 1, .plain), (100, true, 4, .plain), (500, true, 4, .plain),
        (100, true, 4, .transportCC), (100, true, 4, .browsers), (6, true, 4, .plain), (6, true, 4, .transportCC),
        (6, true, 4, .browsers), (6, true, 4, .simulcast), (2, true, 4, .plain), (100, true, 4, .simulcast),
        (6, true, 4, .temporal), (100, true, 4, .temporal),
    ]
    for (consumers, usesSocket, burst, peers) in cases {
        let name =
            "Forward1To\(consumers)\(usesSocket ? "" : "NoSocket")\(burst > 1 ? "Burst\(burst)" : "")"
            + [.transportCC: "TransportCC", .browsers: "Browsers", .simulcast: "Simulcast", .temporal: "Temporal"][
                peers,
                default: ""
            ]
        Benchmark(
            name,
            configuration: .init(
                metrics: metrics + [memoryPerPeer],
                scalingFactor: .one,
                maxDuration: .seconds(3),
                // An iteration forwards 10,000 packets; the harness allocates about 20
                // times in it. One allocation per packet would be 10,000 more. With
                // transport-wide feedback, building each feedback packet allocates, and how
                // many are due in an iteration depends on the machine's speed: those cases
                // may differ from their recorded count by 200.
                thresholds: [
                    .mallocCountTotal: .init(
                        absolute: [.p90: peers == .transportCC || peers == .browsers ? 200 : 20]
                    )
                ],
                setup: {
                    if setups[name] == nil {
                        setups[name] = try Setup(
                            consumers: consumers,
                            usesSocket: usesSocket,
                            transportFeedback: peers == .transportCC || peers == .browsers,
                            subscriberExtensions: peers == .browsers,
                            simulcastLayers: peers == .simulcast ? 3 : 1,
                            temporalLayers: peers == .temporal,
                            run: burst
                        )
                    }
                },
                teardown: {
                    setups[name]?.close()
                    setups[name] = nil
                }
            )
        ) { benchmark in
            let layers = peers == .simulcast ? 3 : 1
            let taken = peers == .temporal ? 7.0 / 12 : 1 / Double(layers)
            try setups[name]!.run(
                benchmark,
                inputs: max(1, Int(Double(forwardedPerIteration) / taken) / consumers),
                burst: burst * layers
            )
        }
    }
}
