import Foundation
import RTP
import Recording
import Testing

@testable import SFU

/// A recorded simulcast track follows its highest stream that is sending: down to the
/// next when the highest stops (at a key frame, asked for), up again at the highest's next
/// key frame.
@Suite struct RecordingTapTests {
    static func packet(_ rid: String, _ sequenceNumber: UInt16, keyFrame: Bool = false) -> [UInt8] {
        SimulcastLayerTests.packet(
            SimulcastLayerTests.ssrcs[rid]!,
            rid: rid,
            sequenceNumber,
            timestamp: UInt32(sequenceNumber) * 3_000,
            keyFrame: keyFrame
        )
    }

    /// A simulcast publisher whose three streams each sent a packet (and were seen doing
    /// so by a check), recorded through a tap.
    static func recordedSimulcastPublisher() throws -> (MediaHarness, MediaHarness.Leg, Producer, RecordingTap) {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let producer = try #require(alice.producers.first)
        for rid in ["l", "m", "h"] { try publisher.send(Self.packet(rid, 1)) }
        _ = producer.checkReceiving(now: .now)
        let tap = RecordingTap(recorder: Recorder(), recordingID: "alice", track: 0, streams: producer.streams)
        producer.recordingTap = tap
        return (harness, publisher, producer, tap)
    }

    @Test func theRecordedStreamFollowsTheHighestThatSends() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let producer = try #require(alice.producers.first)
        for rid in ["l", "m", "h"] { try publisher.send(Self.packet(rid, 1)) }
        let tap = RecordingTap(recorder: Recorder(), recordingID: "alice", track: 0, streams: producer.streams)
        producer.recordingTap = tap
        let rid = { tap.current.rid }
        #expect(rid() == "h")
        // Lower streams' key frames do not move it while the highest sends.
        try publisher.send(Self.packet("m", 2, keyFrame: true))
        #expect(rid() == "h")
        // The highest stops: two checks later it is no longer active.
        _ = producer.checkReceiving(now: .now)
        for sequenceNumber: UInt16 in 3...4 { try publisher.send(Self.packet("m", sequenceNumber)) }
        try publisher.send(Self.packet("l", 3))
        _ = producer.checkReceiving(now: .now)
        #expect(!producer.streams[2].isActive && producer.streams[1].isActive)
        _ = try publisher.received()
        // The next stream down is asked for a key frame, and taken from it.
        try publisher.send(Self.packet("m", 5))
        harness.endBurst()
        let asked = try publisher.received().rtcp
        #expect(
            asked.contains(
                .pictureLossIndication(PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: 0xA2))
            ),
            "\(asked)"
        )
        #expect(rid() == "h")
        // Not the lowest: the middle one is sending.
        try publisher.send(Self.packet("l", 4, keyFrame: true))
        #expect(rid() == "h")
        try publisher.send(Self.packet("m", 6, keyFrame: true))
        #expect(rid() == "m")
        // The highest resumes: taken again at its key frame.
        try publisher.send(Self.packet("h", 7))
        #expect(rid() == "m")
        try publisher.send(Self.packet("h", 8, keyFrame: true))
        #expect(rid() == "h")
    }

    /// Between the producer's checks (once a second), half a second without a packet of
    /// the recorded stream while a lower one sends is enough to move down.
    @Test func halfASecondWithoutTheRecordedStreamMovesItDown() throws {
        let (harness, publisher, producer, tap) = try Self.recordedSimulcastPublisher()
        defer { withExtendedLifetime(harness) {} }
        try publisher.send(Self.packet("m", 2, keyFrame: true))
        #expect(tap.current.rid == "h")
        Thread.sleep(forTimeInterval: 0.6)
        #expect(producer.streams[2].isActive)
        try publisher.send(Self.packet("m", 3, keyFrame: true))
        #expect(tap.current.rid == "m")
    }

    /// The recorder lost the recorded stream's thread and asks for a key frame: the first
    /// key frame of any stream is taken; one of the recorded stream ends the wait.
    @Test func aRecorderWaitingForAKeyFrameTakesTheFirstOfAnyStream() throws {
        let (harness, publisher, producer, tap) = try Self.recordedSimulcastPublisher()
        defer { withExtendedLifetime(harness) {} }
        tap.takeNextKeyFrame()
        try publisher.send(Self.packet("h", 2, keyFrame: true))
        try publisher.send(Self.packet("l", 2, keyFrame: true))
        #expect(tap.current.rid == "h")
        tap.takeNextKeyFrame()
        try publisher.send(Self.packet("l", 3))
        #expect(tap.current.rid == "h")
        try publisher.send(Self.packet("l", 4, keyFrame: true))
        #expect(tap.current.rid == "l")
        // And up again at the next key frame of a higher stream.
        try publisher.send(Self.packet("m", 2, keyFrame: true))
        #expect(tap.current.rid == "m")
    }
}
