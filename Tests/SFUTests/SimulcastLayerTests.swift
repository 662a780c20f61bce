import DTLS
import Foundation
import ICE
import NIOCore
import RTP
import SDP
import TestSupport
import Testing

@testable import SFU

/// A simulcast publisher sends one stream per encoding under one MID. Each stream is
/// bound by the rid its first packets carry (or listed in `a=ssrc-group:SIM`), and a
/// consumer forwards one stream at a time, moving to another only at that stream's key
/// frame, with the outgoing numbering continuous.
@Suite struct SimulcastLayerTests {
    /// A VP8 payload: descriptor (S set on a frame's first packet) and payload header,
    /// whose P bit is clear on a key frame (RFC 7741).
    static func vp8(keyFrame: Bool = false, start: Bool = true) -> [UInt8] {
        [start ? 0x10 : 0x00, keyFrame ? 0x00 : 0x01, 0x9D, 0x01, 0x2A, 1, 2, 3]
    }

    /// A packet of the stream `rid` sends on `ssrc`, with the MID and rid extensions.
    static func packet(
        _ ssrc: SSRC,
        rid: String,
        _ sequenceNumber: UInt16,
        timestamp: UInt32 = 3_000,
        keyFrame: Bool = false
    ) -> [UInt8] {
        rtpPacket(
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: 96,
            extensions: [(MediaHarness.midID, Array("0".utf8)), (MediaHarness.ridID, Array(rid.utf8))],
            payload: Self.vp8(keyFrame: keyFrame)
        )
    }

    static let ssrcs: [String: SSRC] = ["l": 0xA1, "m": 0xA2, "h": 0xA3]

    @Test func ridsAreOrderedLowestFirst() {
        #expect(Producer.lowestFirst(["h", "m", "l"]) == ["l", "m", "h"])
        #expect(Producer.lowestFirst(["f", "h", "q"]) == ["q", "h", "f"])
        #expect(Producer.lowestFirst(["q", "h", "f"]) == ["q", "h", "f"])
        #expect(Producer.lowestFirst(["h", "l"]) == ["l", "h"])
        // Names of no known scheme: the description lists the highest first (janus.js).
        #expect(Producer.lowestFirst(["hi", "mid", "lo"]) == ["lo", "mid", "hi"])
    }

    @Test func chromiumsThreeRIDsAreBoundToThreeStreams() throws {
        let worker = MediaWorker(name: "layers")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let offer = try String(
            contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent(
                "Tests/Fixtures/chromium-156-offer-simulcast-3rid.sdp"
            ),
            encoding: .utf8
        )
        let sources = try worker.sync {
            Result { () throws(SFUError) -> [String] in
                let room = Room(name: "layers", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                room.join(participantID: "p")
                _ = try room.publish(participantID: "p", offer: offer)
                let participant = room.participants["p"]!
                // Media with rids q, h, f, h again; a fourth SSRC without a rid; an RTX
                // stream repairing h (its offer's ids: mid 4, rid 10, repaired rid 11).
                let sent: [(SSRC, UInt8, UInt8, String?)] = [
                    (0x1111, 96, 10, "q"), (0x2222, 96, 10, "h"), (0x3333, 96, 10, "f"), (0x2222, 96, 10, "h"),
                    (0x4444, 96, 10, nil), (0x5555, 97, 11, "h"),
                ]
                return sent.map { ssrc, payloadType, ridID, rid in
                    var extensions = [RTPHeaderExtensionElement(id: 4, value: Array("1".utf8))]
                    if let rid { extensions.append(RTPHeaderExtensionElement(id: ridID, value: Array(rid.utf8))) }
                    var bytes = ByteBuffer()
                    RTPHeader(
                        payloadType: payloadType,
                        sequenceNumber: SequenceNumber(1),
                        timestamp: RTPTimestamp(0),
                        ssrc: ssrc,
                        extensions: extensions
                    ).write(into: &bytes, payload: ByteBuffer(bytes: [0x90, 0, 0, 0]))
                    switch participant.source(of: try! RTPPacket(validating: bytes)) {  // built just above
                    case .stream(let stream): return "\(stream.producer.mid) layer \(stream.spatialLayer)"
                    case .retransmission(let stream): return "rtx of layer \(stream.spatialLayer)"
                    case .unknown: return "unknown"
                    }
                }
            }
        }.get()
        #expect(sources == ["1 layer 0", "1 layer 1", "1 layer 2", "1 layer 1", "unknown", "rtx of layer 1"])
    }

    @Test func aSIMGroupMakesOneStreamPerListedSSRC() throws {
        let harness = try MediaHarness()
        let leg = try harness.leg("p/publish")
        let vp8 = CodecDescription(payloadType: 96, name: "VP8", clockRate: 90_000)
        var media = NegotiatedMedia(
            mid: "0",
            kind: "video",
            codecs: [vp8, CodecDescription(payloadType: 97, name: "rtx", clockRate: 90_000, parameters: "apt=96")],
            extensions: [],
            direction: .recvonly,
            remoteSSRCs: [1, 11, 2, 12, 3, 13],
            remoteRIDs: [],
            rtcpReducedSize: true
        )
        media.remoteSimulcastSSRCs = [1, 2, 3]
        media.remoteRetransmissionSSRCs = [1: 11, 2: 12, 3: 13]
        let producer = Producer(
            id: "p:0",
            participantID: "p",
            media: media,
            codec: vp8,
            path: leg.path,
            keyFrameRequestInterval: .milliseconds(300)
        )
        let participant = Participant(id: "p", displayName: nil)
        participant.bind(producer, rtx: media.remoteRetransmissionSSRCs, listed: media.remoteSSRCs)
        #expect(producer.streams.map(\.ssrc) == [1, 2, 3])
        #expect(participant.streamsBySSRC[3]?.spatialLayer == 2)
        #expect(participant.retransmissionSSRCs[12]?.spatialLayer == 1)
    }

    @Test func aConsumerStartsOnTheLowestStreamAtItsKeyFrame() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        #expect(consumer.source == nil && consumer.target?.rid == "l")
        for (rid, ssrc) in Self.ssrcs { try publisher.send(Self.packet(ssrc, rid: rid, 1)) }
        try publisher.send(Self.packet(0xA2, rid: "m", 2, keyFrame: true))
        harness.endBurst()
        #expect(try subscriber.received().rtp.isEmpty)
        try publisher.send(Self.packet(0xA1, rid: "l", 2, timestamp: 6_000, keyFrame: true))
        try publisher.send(Self.packet(0xA1, rid: "l", 3, timestamp: 6_000))
        try publisher.send(Self.packet(0xA3, rid: "h", 2, timestamp: 6_000))
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        #expect(forwarded.count == 2)
        #expect(forwarded.allSatisfy { $0.ssrc == consumer.ssrc })
        #expect(consumer.currentSpatialLayer == 0 && consumer.target == nil && consumer.layerSwitches == 1)
    }

    /// Puts `consumer` on the high stream, from its key frame `sequenceNumber`.
    static func startOnHigh(
        _ consumer: Consumer,
        _ publisher: MediaHarness.Leg,
        _ sequenceNumber: UInt16,
        timestamp: UInt32
    ) throws {
        consumer.setPreferredSpatialLayer(nil)
        #expect(consumer.target?.rid == "h")
        try publisher.send(Self.packet(0xA3, rid: "h", sequenceNumber, timestamp: timestamp, keyFrame: true))
        #expect(consumer.currentSpatialLayer == 2)
    }

    @Test func aPreferredLayerIsTakenAtItsKeyFrameWithoutAGap() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        try Self.startOnHigh(consumer, publisher, 65_534, timestamp: 90_000)
        try publisher.send(Self.packet(0xA3, rid: "h", 65_535, timestamp: 93_000))
        try publisher.send(Self.packet(0xA1, rid: "l", 500, timestamp: 7_000))
        harness.endBurst()
        let before = try subscriber.received().rtp
        #expect(before.count == 2)
        _ = try publisher.received()
        var moves: [Int?] = []
        consumer.didChangeLayer = { moves.append($0.currentSpatialLayer) }

        consumer.setPreferredSpatialLayer(0)
        #expect(consumer.targetSpatialLayer == 0 && consumer.currentSpatialLayer == 2)
        harness.endBurst()
        // The publisher is asked for a key frame of the low stream.
        #expect(
            try publisher.received().rtcp == [
                .pictureLossIndication(PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: 0xA1))
            ]
        )
        // Until it comes, the high stream goes on (its numbers wrap); then the low one.
        try publisher.send(Self.packet(0xA1, rid: "l", 501, timestamp: 10_000))
        try publisher.send(Self.packet(0xA3, rid: "h", 0, timestamp: 96_000))
        try publisher.send(Self.packet(0xA1, rid: "l", 502, timestamp: 13_000, keyFrame: true))
        try publisher.send(Self.packet(0xA3, rid: "h", 1, timestamp: 99_000))
        try publisher.send(Self.packet(0xA1, rid: "l", 503, timestamp: 16_000))
        harness.endBurst()
        let after = try subscriber.received().rtp
        let numbers = (before + after).map(\.sequenceNumber.rawValue)
        let first = numbers[0]
        #expect(numbers == (0..<5).map { first &+ $0 })
        let timestamps = (before + after).map { $0.timestamp.rawValue &- before[0].timestamp.rawValue }
        // One frame interval (30 frames/s at 90 kHz) after the last sent, then the low
        // stream's own spacing.
        #expect(timestamps == [0, 3_000, 6_000, 9_000, 12_000])
        #expect(consumer.currentSpatialLayer == 0 && consumer.target == nil && consumer.layerSwitches == 2)
        #expect(moves == [0])

        // A NACK for a packet of the high stream, sent before the move, resends nothing;
        // one for the low stream's is answered from its history.
        consumer.retransmit([SequenceNumber(numbers[1]), SequenceNumber(numbers[4])])
        harness.endBurst()
        let resent = try subscriber.received().rtp
        #expect(resent.map(\.originalSequenceNumber) == [SequenceNumber(numbers[4])])
    }

    @Test func aStreamThePublisherStopsIsLeftForTheHighestStillSent() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, _) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        let producer = alice.producers[0]
        let start = ContinuousClock.now
        try Self.startOnHigh(consumer, publisher, 1, timestamp: 3_000)
        try publisher.send(Self.packet(0xA1, rid: "l", 1, keyFrame: true))
        try publisher.send(Self.packet(0xA2, rid: "m", 1, keyFrame: true))
        _ = producer.checkReceiving(now: start)
        #expect(consumer.currentSpatialLayer == 2)
        // The high stream stops (a publisher short of uplink drops its top encoding).
        try publisher.send(Self.packet(0xA1, rid: "l", 2))
        try publisher.send(Self.packet(0xA2, rid: "m", 2))
        _ = producer.checkReceiving(now: start + .seconds(1))
        consumer.selectLayer()
        #expect(consumer.targetSpatialLayer == 1)
        try publisher.send(Self.packet(0xA2, rid: "m", 3, keyFrame: true))
        #expect(consumer.currentSpatialLayer == 1)
        // It comes back: the consumer goes up again at its next key frame.
        try publisher.send(Self.packet(0xA3, rid: "h", 2))
        _ = producer.checkReceiving(now: start + .seconds(2))
        consumer.selectLayer()
        #expect(consumer.targetSpatialLayer == 2)
        #expect(producer.streams.map(\.bitrate.bitsPerSecond).allSatisfy { $0 > 0 })
    }

    @Test func aConsumerWithNoRoomForItsLowestStepIsSuspendedAndResumesAtAKeyFrame() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        var told: [Bool] = []
        consumer.didChangeLayer = { told.append($0.isSuspended) }
        try publisher.send(Self.packet(0xA1, rid: "l", 1, timestamp: 3_000, keyFrame: true))
        let start = ContinuousClock.now
        consumer.allowBandwidthLevel(keeping: -1, climbing: -1, now: start)
        #expect(consumer.isSuspended && consumer.layerLimit == "bandwidth")
        try publisher.send(Self.packet(0xA1, rid: "l", 2, timestamp: 6_000, keyFrame: true))
        // Room again: taken after the hold, like any step up; then at the next key frame.
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(1))
        #expect(consumer.isSuspended)
        consumer.allowBandwidthLevel(keeping: 0, climbing: 0, now: start + .seconds(4))
        #expect(!consumer.isSuspended)
        consumer.selectLayer()
        try publisher.send(Self.packet(0xA1, rid: "l", 3, timestamp: 9_000))
        try publisher.send(Self.packet(0xA1, rid: "l", 4, timestamp: 12_000, keyFrame: true))
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        #expect(forwarded.count == 2)
        #expect(forwarded[1].sequenceNumber == forwarded[0].sequenceNumber.advanced(by: 1))
        #expect(forwarded[1].timestamp.rawValue &- forwarded[0].timestamp.rawValue >= 3_000)
        // Started, suspended, resumed, moved at the key frame.
        #expect(told == [false, true, false, false])
    }

    @Test func aTileSizeTakesTheSmallestStreamThatCoversIt() throws {
        let harness = try MediaHarness()
        let (alice, _) = try harness.simulcastPublisher("alice", rids: ["h", "m", "l"])
        let (bob, _) = try harness.subscriber("bob", taking: alice.producers)
        let consumer = try #require(bob.consumers.first)
        let producer = alice.producers[0]
        for (stream, width) in zip(producer.streams, [320, 640, 1280]) {
            stream.frameSize = FrameSize(width: width, height: width * 9 / 16)
        }
        consumer.setPreferredSize(FrameSize(width: 400, height: 300))
        #expect(consumer.preferenceLayer == 1)  // 640x360 covers 400x300; 320x180 does not
        consumer.setPreferredSize(FrameSize(width: 160, height: 120))
        #expect(consumer.preferenceLayer == 0)
        consumer.setPreferredSize(FrameSize(width: 1920, height: 1080))
        #expect(consumer.preferenceLayer == Int.max)  // none covers it: no limit
        consumer.setPreferredSpatialLayer(1)
        #expect(consumer.preferenceLayer == 1)
    }

    @Test func whoeverStartedTalkingLastIsTheActiveSpeaker() throws {
        let worker = MediaWorker(name: "speaker")
        defer { worker.shutdown() }
        let certificate = try DTLSCertificate()
        let speakers = worker.sync { () -> [String?] in
            let room = Room(name: "speaker", worker: worker, certificate: certificate, configuration: .init())
            defer { room.close() }
            for id in ["a", "b"] { room.join(participantID: id) }
            var seen: [String?] = [room.activeSpeaker]
            room.participants["a"]!.onEvent?(.talking(participantID: "a", trackID: "a:0", isTalking: true, level: 30))
            seen.append(room.activeSpeaker)
            room.participants["b"]!.onEvent?(.talking(participantID: "b", trackID: "b:0", isTalking: true, level: 30))
            room.participants["a"]!.onEvent?(.talking(participantID: "a", trackID: "a:0", isTalking: false, level: 90))
            seen.append(room.activeSpeaker)
            room.leave(participantID: "b")
            seen.append(room.activeSpeaker)
            return seen
        }
        #expect(speakers == [nil, "a", "b", nil])
    }
}
