import Benchmark
import Foundation
import NIOCore
import RTP
import SDP

/// A 1,200-byte VP8 packet as Chromium sends it: two one-byte extensions, descriptor.
func makeVideoPacket() -> ByteBuffer {
    var out = ByteBuffer()
    let header = RTPHeader(
        marker: false,
        payloadType: 96,
        sequenceNumber: SequenceNumber(1000),
        timestamp: RTPTimestamp(90_000),
        ssrc: 0xCAFE_BABE,
        extensions: [
            RTPHeaderExtensionElement(id: 3, value: [0, 7]), RTPHeaderExtensionElement(id: 4, value: Array("1".utf8)),
        ]
    )
    let payload = ByteBuffer(
        bytes: [0x90, 0xE0, 0x92, 0x34, 0x05, 0xA0] + [UInt8](repeating: 0x42, count: 1200 - 12 - 12 - 6)
    )
    header.write(into: &out, payload: payload)
    return out
}

func makeCompoundRTCP() -> ByteBuffer {
    var out = ByteBuffer()
    RTCPCompoundIterator.write(
        [
            .receiverReport(
                ReceiverReport(ssrc: 1, reports: [ReportBlock(ssrc: 2, fractionLost: 3, cumulativeLost: 4)])
            ),
            .sourceDescription(
                SourceDescription(chunks: [.init(source: 1, items: [.init(cname: "abcdefghijklmnop")])])
            ),
            .receiverEstimatedMaximumBitrate(REMB(senderSSRC: 1, bitsPerSecond: 2_500_000, ssrcs: [2])),
            .genericNACK(
                GenericNACK(
                    senderSSRC: 1,
                    mediaSSRC: 2,
                    lostSequenceNumbers: [100, 101, 105, 130].map { SequenceNumber($0) }
                )
            ),
        ],
        into: &out
    )
    return out
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput]
    /// Per-packet operations run a million times per sample, control-path ones fewer.
    func configuration(_ scale: BenchmarkScalingFactor) -> Benchmark.Configuration {
        .init(metrics: metrics, scalingFactor: scale, maxDuration: .seconds(3))
    }

    Benchmark(
        "RTPParseAndRewrite1200Bytes",
        configuration: configuration(.mega)
    ) { benchmark in
        var datagram = makeVideoPacket()
        var sequenceNumber = SequenceNumber(0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // NOTE: the datagram is handed to the packet and taken back, as on the
            // receive path, so the storage has one owner and the rewrite does not copy.
            var packet = try RTPPacket(validating: consume datagram)
            sequenceNumber = sequenceNumber.advanced(by: 1)
            packet.rewrite(
                ssrc: 0x0102_0304,
                sequenceNumber: sequenceNumber,
                timestamp: packet.timestamp.advanced(by: 3000),
                payloadType: 100
            )
            datagram = packet.releaseBytes()
        }
        blackHole(datagram)
    }

    Benchmark(
        "RTPParse1200Bytes",
        configuration: configuration(.mega)
    ) { benchmark in
        // The forwarding path's view: validated over an ingress buffer it shares.
        let datagram = makeVideoPacket()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try RTPPacket(validating: datagram).payloadLength)
        }
    }

    Benchmark(
        "RTPRewriteInPlace",
        configuration: configuration(.mega)
    ) { benchmark in
        var packet = try RTPPacket(validating: makeVideoPacket())
        var sequenceNumber = SequenceNumber(0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            sequenceNumber = sequenceNumber.advanced(by: 1)
            packet.rewrite(
                ssrc: 0x0102_0304,
                sequenceNumber: sequenceNumber,
                timestamp: packet.timestamp.advanced(by: 3000),
                payloadType: 100
            )
        }
        blackHole(packet)
    }

    Benchmark(
        "RTPEgressCopy1200Bytes",
        configuration: configuration(.mega)
    ) { benchmark in
        let packet = try RTPPacket(validating: makeVideoPacket())
        var egress = ByteBuffer()
        egress.reserveCapacity(1500)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            egress.clear()
            packet.write(
                into: &egress,
                ssrc: 7,
                sequenceNumber: SequenceNumber(UInt16(truncatingIfNeeded: i)),
                timestamp: RTPTimestamp(9)
            )
        }
        blackHole(egress)
    }

    // A browser subscriber's copy: its mid, abs-send-time and transport-wide sequence
    // number written, the publisher's video orientation passed through renumbered.
    Benchmark(
        "RTPEgressCopyWithExtensions1200Bytes",
        configuration: configuration(.mega)
    ) { benchmark in
        let packet = try RTPPacket(validating: makeVideoPacket())
        let extensions = EgressHeaderExtensions(mid: (1, Array("0".utf8)), absSendTimeID: 2, transportWideID: 3)
        extensions.pass(4, as: 5)
        var egress = ByteBuffer()
        egress.reserveCapacity(1500)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            egress.clear()
            packet.write(
                into: &egress,
                ssrc: 7,
                sequenceNumber: SequenceNumber(UInt16(truncatingIfNeeded: i)),
                timestamp: RTPTimestamp(9),
                payloadType: 100,
                extensions: extensions,
                transportSequence: UInt16(truncatingIfNeeded: i),
                absSendTime: UInt32(truncatingIfNeeded: i) & 0xFF_FFFF
            )
        }
        blackHole(egress)
    }

    Benchmark(
        "RTPHeaderExtensionLookup",
        configuration: configuration(.mega)
    ) { benchmark in
        let packet = try RTPPacket(validating: makeVideoPacket())
        let map = RTPHeaderExtensionMap([3: RTPHeaderExtensionURI.transportWideCC, 4: RTPHeaderExtensionURI.mid])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(packet.transportWideSequenceNumber(using: map))
        }
    }

    Benchmark(
        "RTCPCompoundParse",
        configuration: configuration(.kilo)
    ) { benchmark in
        let datagram = makeCompoundRTCP()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try RTCPCompoundIterator.parse(datagram))
        }
    }

    Benchmark(
        "SDPParseChromiumOffer",
        configuration: configuration(.one)
    ) { benchmark in
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/chromium-156-offer-audio-video.sdp").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try SessionDescription(parsing: text))
        }
    }
}
