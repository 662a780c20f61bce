import Foundation
import NIOCore
import RTP
import TestSupport
import Testing

@testable import SFU

/// Transport-wide feedback against Pion's code, both ways: what the server sends is
/// parsed by pion/rtcp, and what pion/interceptor's twcc Recorder builds is parsed here
/// (scripts/interop/twcc, built from Debian's Go packages).
@Suite(.serialized) struct TransportFeedbackInteropTests {
    struct Decoded: Decodable {
        struct Packet: Decodable {
            var base: UInt16
            var count: UInt16
            var reference: UInt32
            var feedback_count: UInt8
            var statuses: [Status]
        }
        struct Status: Decodable {
            var seq: UInt16
            var received: Bool
            var delta_us: Int64
        }
        var packets: [Packet]?
        var hex: [String]?
        var error: String?
    }

    /// Arrivals in µs, multiples of 250 µs (Pion truncates deltas to 250 µs ticks, the
    /// server rounds): loss, reordering, the 16-bit wrap, and with `stall` a 9 s pause
    /// that needs a second feedback packet.
    static func arrivals(stall: Bool) -> [(UInt16, Int64)] {
        var arrivals: [(UInt16, Int64)] = []
        var time: Int64 = 5_000_000
        var sequenceNumber: UInt16 = 65_500
        for index in 0..<120 {
            time += index % 10 == 0 ? 12_500 : 1_250
            if stall, index == 90 { time += 9_000_000 }
            defer { sequenceNumber &+= 1 }
            if index % 17 == 5 || index == 40 || index == 41 { continue }  // lost
            arrivals.append((sequenceNumber, time))
        }
        // Two packets swapped in arrival order.
        arrivals.swapAt(20, 21)
        return arrivals
    }

    struct NotFeedback: Error {
        var parsed: [RTCPPacket]
    }

    static func pion(_ requests: [String]) throws -> [Decoded] {
        let executable = try ExternalProcess.run(
            "/bin/bash",
            [ExternalProcess.repositoryRoot.appendingPathComponent("scripts/interop/build-pion.sh").path, "twcc"]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let output = try ExternalProcess.run(executable, [], input: requests.joined(separator: "\n") + "\n")
        return try output.split(separator: "\n").map { try JSONDecoder().decode(Decoded.self, from: Data($0.utf8)) }
    }

    @Test func pionReadsTheServersFeedback() throws {
        let generator = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 1)
        let arrivals = Self.arrivals(stall: true)
        for (sequenceNumber, time) in arrivals { _ = generator.record(sequenceNumber, arrival: UInt64(time) * 1000) }
        let ours = generator.makeFeedback()
        #expect(ours.count == 2, "the stall needs a second packet")
        var datagram = ByteBuffer()
        RTCPCompoundIterator.write(ours.map { .transportWideFeedback($0) }, into: &datagram)
        let hex = datagram.readableBytesView.map { String(format: "%02x", $0) }.joined()
        let reply = try #require(try Self.pion([#"{"op": "decode", "hex": "\#(hex)"}"#]).first)
        #expect(reply.error == nil, "\(reply.error ?? "")")
        let theirs = try #require(reply.packets)
        #expect(theirs.count == ours.count)
        for (packet, decoded) in zip(ours, theirs) {
            #expect(decoded.base == packet.baseSequenceNumber)
            #expect(Int(decoded.count) == packet.receiveDeltas.count)
            #expect(decoded.reference == UInt32(bitPattern: packet.referenceTime) & 0xFF_FFFF)
            #expect(decoded.feedback_count == packet.feedbackPacketCount)
            #expect(decoded.statuses.map(\.received) == packet.receiveDeltas.map { $0 != nil })
            #expect(decoded.statuses.map(\.delta_us) == packet.receiveDeltas.map { Int64($0 ?? 0) * 250 })
        }
        // And the arrivals Pion's numbers give back are the true ones.
        var reconstructed: [UInt16: Int64] = [:]
        for decoded in theirs {
            var time = Int64(decoded.reference) * 64_000
            for status in decoded.statuses where status.received {
                time += status.delta_us
                reconstructed[status.seq] = time
            }
        }
        #expect(reconstructed == Dictionary(uniqueKeysWithValues: arrivals.map { ($0.0, $0.1) }))
    }

    /// Without the stall: this Pion's Recorder starts the packet after a delta that does
    /// not fit without a reference time, and every packet after it is wrong.
    @Test func theServerReadsPionsFeedback() throws {
        let arrivals = Self.arrivals(stall: false)
        let list = arrivals.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        let reply = try #require(
            try Self.pion([#"{"op": "record", "media_ssrc": 4660, "arrivals": [\#(list)]}"#]).first
        )
        #expect(reply.error == nil, "\(reply.error ?? "")")
        let packets = try (reply.hex ?? []).map { text throws -> TransportWideFeedback in
            let bytes = stride(from: 0, to: text.count, by: 2).map { offset -> UInt8 in
                let start = text.index(text.startIndex, offsetBy: offset)
                return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
            let parsed = try RTCPCompoundIterator.parse(ByteBuffer(bytes: bytes))
            guard case .transportWideFeedback(let feedback)? = parsed.first else { throw NotFeedback(parsed: parsed) }
            return feedback
        }
        #expect(packets.count == 1)
        #expect(packets.allSatisfy { $0.mediaSSRC == 4660 })
        let reported = TransportFeedbackGeneratorTests.arrivals(packets)
        #expect(reported == Dictionary(uniqueKeysWithValues: arrivals.map { ($0.0, $0.1) }))
    }

    /// Chromium's own feedback, captured: pion/rtcp reads every packet as the server does,
    /// and what the server writes from it reads back the same.
    @Test func chromiumsFeedbackReadsAsPionReadsItAndRoundTrips() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/chromium-156-transport-feedback.hex")
        let lines = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(lines.count >= 20)
        let replies = try Self.pion(lines.map { #"{"op": "decode", "hex": "\#($0)"}"# })
        #expect(replies.count == lines.count)
        var vectors = 0
        var losses = 0
        for (line, reply) in zip(lines, replies) {
            let bytes = stride(from: 0, to: line.count, by: 2).map { offset -> UInt8 in
                let start = line.index(line.startIndex, offsetBy: offset)
                return UInt8(line[start..<line.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
            let parsed = try RTCPCompoundIterator.parse(ByteBuffer(bytes: bytes))
            guard case .transportWideFeedback(let ours)? = parsed.first, parsed.count == 1 else {
                Issue.record("not one transport-wide feedback packet: \(line)")
                continue
            }
            let theirs = try #require(reply.packets?.first, "\(reply.error ?? "")")
            #expect(theirs.base == ours.baseSequenceNumber)
            #expect(Int(theirs.count) == ours.receiveDeltas.count)
            #expect(theirs.reference == UInt32(bitPattern: ours.referenceTime) & 0xFF_FFFF)
            #expect(theirs.feedback_count == ours.feedbackPacketCount)
            #expect(theirs.statuses.map(\.received) == ours.receiveDeltas.map { $0 != nil })
            #expect(theirs.statuses.map(\.delta_us) == ours.receiveDeltas.map { Int64($0 ?? 0) * 250 })
            losses += ours.receiveDeltas.count { $0 == nil }
            vectors += bytes[20] & 0x80 != 0 ? 1 : 0
            // What the server writes from it reads back the same.
            var written = ByteBuffer()
            RTCPCompoundIterator.write([.transportWideFeedback(ours)], into: &written)
            #expect(try RTCPCompoundIterator.parse(written) == [.transportWideFeedback(ours)])
        }
        #expect(vectors > 0 && losses > 0, "the capture has vector chunks and losses")
    }
}
