import Foundation
import NIOCore
import RTP
import TestSupport
import Testing

@testable import Recording

/// The recorder's parsers of network bytes under mutated and random input: real packets
/// of every codec with bytes flipped, cut short or lengthened, in any order, and random
/// payloads; they never trap, and what they hand the muxer is well formed.
@Suite struct DepacketizerPropertyTests {
    static func mutate(_ payload: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = payload
        switch random.next() % 5 {
        case 0:
            for _ in 0..<(1 + Int(random.next() % 4)) where !bytes.isEmpty {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
        case 1: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
        case 2: bytes += (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 3: bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default: break
        }
        return bytes
    }

    @Test(arguments: [RecordedCodec.vp8, .vp9, .h264, .av1])
    func mutatedPacketsNeverTrapAndFramesStayWellFormed(codec: RecordedCodec) throws {
        let video = try #require(RecordingSessionTests.video(codec))
        var random = SplitMix64(seed: 0xDEC0DE ^ UInt64(codec.rawValue.hashValue & 0xFFFF))
        var sequenceNumber: UInt16 = 1
        var packets: [RTPPacket] = []
        for (index, frame) in video.prefix(40).enumerated() {
            let timestamp = UInt32(index * 3_000)
            let framePackets: [RTPPacket] =
                switch codec {
                case .vp9:
                    RecordingSessionTests.vp9Packets(
                        frame,
                        picture: index,
                        sequenceNumber: &sequenceNumber,
                        timestamp: timestamp
                    )
                case .h264:
                    RecordingSessionTests.h264Packets(frame, sequenceNumber: &sequenceNumber, timestamp: timestamp)
                case .av1:
                    RecordingSessionTests.av1Packets(frame, sequenceNumber: &sequenceNumber, timestamp: timestamp)
                default:
                    RecordingSessionTests.vp8Packets(frame, sequenceNumber: &sequenceNumber, timestamp: timestamp)
                }
            packets += framePackets
        }
        var frames = 0
        for round in 0..<20 {
            var assembler = FrameAssembler(codec: codec)
            for packet in packets {
                let payload = packet.withPayloadBytes { Array($0) }
                let mutated = round == 0 ? payload : Self.mutate(payload, using: &random)
                let marker = round == 0 ? packet.marker : random.next() % 4 == 0
                let copy = RecordingSessionTests.packet(
                    ssrc: 2,
                    payloadType: 96,
                    sequenceNumber: packet.sequenceNumber.rawValue,
                    timestamp: packet.timestamp.rawValue &+ (round == 0 ? 0 : UInt32(random.next() % 2) * 3_000),
                    marker: marker,
                    payload: mutated
                )
                guard let frame = assembler.add(copy, afterGap: round != 0 && random.next() % 16 == 0) else {
                    continue
                }
                frames += 1
                #expect(!frame.data.isEmpty)
                _ = FrameAssembler.keyFrameSize(codec, frame.data)
                if codec == .av1 {
                    // The low-overhead format: OBUs that cover the temporal unit exactly.
                    let obus = AV1Bitstream.obus(in: frame.data)
                    #expect(obus.last?.upperBound == frame.data.count || frame.data.isEmpty, "\(frame.data.prefix(16))")
                }
            }
        }
        // The unmutated round alone gives every frame.
        #expect(frames >= video.prefix(40).count)
    }

    /// Random bytes where the AV1 parsers expect a temporal unit or an aggregation
    /// header, and where Opus's TOC is read.
    @Test func randomBytesNeverTrapTheBitstreamParsers() {
        var random = SplitMix64(seed: 0xA1B2)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(random.next() % 96)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = AV1Bitstream.pictureSize(in: bytes)
            _ = AV1Bitstream.obus(in: bytes)
            bytes.withUnsafeBytes { buffer in
                if let (_, _, _, elements) = AV1Bitstream.elements(of: buffer[...]) {
                    #expect(elements.allSatisfy { $0.lowerBound >= 1 && $0.upperBound <= buffer.count })
                }
            }
            var assembler = FrameAssembler(codec: .opus)
            _ = assembler.add(
                RecordingSessionTests.packet(
                    ssrc: 1,
                    payloadType: 111,
                    sequenceNumber: 1,
                    timestamp: 0,
                    marker: false,
                    payload: bytes
                ),
                afterGap: false
            )
        }
    }
}
