import DTLS
import Foundation
import ICE
import NIOCore
import RTP
import TestSupport
import Testing

@testable import SFU

/// The per-packet path driven synchronously (MediaHarness): fixed keys, real UDP on
/// loopback, no ICE, no DTLS, no worker thread.
@Suite struct MediaPathTests {
    @Test func aPublishersPacketsReachEverySubscriberWithItsOwnNumbering() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let subscribers = try (0..<3).map { try harness.subscriber("s\($0)", taking: alice.producers) }
        // Sequence numbers wrap in the middle of the run.
        for index in 0..<10 {
            try publisher.send(
                rtpPacket(
                    ssrc: 0x1111,
                    sequenceNumber: UInt16(truncatingIfNeeded: 65_530 + index),
                    timestamp: 90_000 + UInt32(index / 2) * 3_000,
                    payloadType: 96,
                    payload: [UInt8(index)] + Array(repeating: 0x42, count: 99)
                )
            )
        }
        harness.endBurst()
        for (participant, leg) in subscribers {
            let received = try leg.received().rtp
            let consumer = try #require(participant.consumers.first { $0.producer.kind == "video" })
            #expect(received.count == 10)
            #expect(received.allSatisfy { $0.ssrc == consumer.ssrc && $0.payloadType == 100 })
            let numbers = received.map(\.sequenceNumber.rawValue)
            #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $1 == $0 &+ 1 })
            let timestamps = received.map(\.timestamp.rawValue)
            #expect(timestamps[2] &- timestamps[0] == 3_000)
            #expect(
                received.map { $0.payload.getInteger(at: $0.payload.readerIndex, as: UInt8.self) }
                    == (0..<10).map { UInt8($0) }
            )
            #expect(consumer.packets == 10)
            #expect(leg.path.counters.packetsOut == 10)
        }
    }

    @Test func nothingLeavesBeforeTheBurstEnds() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (_, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        for index in 0..<4 {
            try publisher.send(
                rtpPacket(ssrc: 0x3333, sequenceNumber: UInt16(index), timestamp: 960 * UInt32(index), payloadType: 111)
            )
        }
        #expect(try subscriber.received().rtp.isEmpty)
        harness.endBurst()
        let received = try subscriber.received().rtp
        #expect(received.count == 4)
        #expect(received.allSatisfy { $0.payloadType == 109 })
    }

    @Test func whatCannotBeRoutedIsDroppedAndCounted() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (_, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        try publisher.send(rtpPacket(ssrc: 0x9999, sequenceNumber: 1, timestamp: 1, payloadType: 96))
        #expect(publisher.path.drops[.unknownSSRC] == 1)
        // A packet whose authentication tag does not match.
        var buffer = ByteBuffer(bytes: rtpPacket(ssrc: 0x1111, sequenceNumber: 1, timestamp: 1, payloadType: 96))
        try publisher.clientOutbound.protect(&buffer)
        var bytes = Array(buffer.readableBytesView)
        bytes[bytes.count - 1] ^= 0xFF
        bytes.withUnsafeBytes { publisher.path.receive($0) }
        #expect(publisher.path.drops[.srtpFailure] == 1)
        // Not RTP, RTCP or DTLS at all.
        [UInt8](repeating: 0xFF, count: 40).withUnsafeBytes { publisher.path.receive($0) }
        #expect(publisher.path.drops[.unknownDatagram] == 1)
        // An RTX packet that repairs nothing the SFU misses.
        try publisher.send(
            rtpPacket(ssrc: 0x2222, sequenceNumber: 7, timestamp: 1, payloadType: 97, payload: [0, 1, 2, 3])
        )
        #expect(publisher.path.drops[.retransmissionStream] == 1)
        harness.endBurst()
        #expect(try subscriber.received().rtp.isEmpty)
    }

    @Test func aPausedConsumerSendsNothingAndTheOthersKeepReceiving() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (paused, pausedLeg) = try harness.subscriber("bob", taking: alice.producers)
        let (_, other) = try harness.subscriber("carol", taking: alice.producers)
        for consumer in paused.consumers { consumer.isPaused = true }
        try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: 1, timestamp: 1, payloadType: 96))
        harness.endBurst()
        #expect(try pausedLeg.received().rtp.isEmpty)
        #expect(paused.consumers.map { $0.drops[.consumerPaused] }.reduce(0, +) == 1)
        #expect(try other.received().rtp.count == 1)
    }

    @Test func aSubscribersKeyFrameRequestReachesThePublisherThrottled() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        try subscriber.send([.pictureLossIndication(PictureLossIndication(senderSSRC: 9, mediaSSRC: video.ssrc))])
        try subscriber.send([.pictureLossIndication(PictureLossIndication(senderSSRC: 9, mediaSSRC: video.ssrc))])
        harness.endBurst()
        let sent = try publisher.received().rtcp
        #expect(
            sent == [.pictureLossIndication(PictureLossIndication(senderSSRC: Room.reportingSSRC, mediaSSRC: 0x1111))]
        )
        #expect(subscriber.path.counters.pictureLossIndications == 2)
        #expect(alice.producers[1].keyFrameRequests == 1)
    }

    @Test func aSubscribersNACKIsAnsweredOnItsRTXStream() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        for index in 0..<5 {
            try publisher.send(
                rtpPacket(
                    ssrc: 0x1111,
                    sequenceNumber: UInt16(100 + index),
                    timestamp: 3_000,
                    payloadType: 96,
                    payload: [UInt8(index), 7]
                )
            )
        }
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        let lost = forwarded[2].sequenceNumber
        try subscriber.send([
            .genericNACK(GenericNACK(senderSSRC: 9, mediaSSRC: video.ssrc, lostSequenceNumbers: [lost]))
        ])
        harness.endBurst()
        let resent = try subscriber.received().rtp
        #expect(resent.count == 1)
        let rtx = try #require(resent.first)
        #expect(rtx.ssrc == video.retransmissionSSRC && rtx.payloadType == 102)
        #expect(rtx.originalSequenceNumber == lost)
        #expect(video.retransmissions == 1 && subscriber.path.counters.nacksReceived == 1)
        // The same NACK again at once: not resent, counted; 100 ms later, when the resend
        // must have been lost, it is resent twice.
        try subscriber.send([
            .genericNACK(GenericNACK(senderSSRC: 9, mediaSSRC: video.ssrc, lostSequenceNumbers: [lost]))
        ])
        harness.endBurst()
        #expect(try subscriber.received().rtp.isEmpty)
        #expect(video.drops[.resentRecently] == 1)
        video.retransmit([lost], now: SelectedUDPSocket.wallClock + 150_000_000)
        harness.endBurst()
        #expect(try subscriber.received().rtp.map(\.originalSequenceNumber) == [lost, lost])
        #expect(video.retransmissions == 3)
    }

    /// A packet the publisher's stream skipped is asked for at once, then again by the
    /// path's repair timer when due, without waiting for the stream's next packet; the
    /// timer stops once nothing is missing.
    @Test func theRepairTimerRetriesAPublishersMissingPacket() throws {
        let harness = try MediaHarness()
        let (_, publisher) = try harness.publisher("alice")
        var timersStarted = 0
        publisher.path.startRepairTimer = { timersStarted += 1 }
        func nacked() throws -> [[UInt16]] {
            try publisher.received().rtcp.compactMap { packet in
                guard case .genericNACK(let nack) = packet else { return nil }
                return nack.lostSequenceNumbers.map(\.rawValue)
            }
        }
        for number: UInt16 in [10, 11, 13] {
            try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: number, timestamp: 1, payloadType: 96))
        }
        harness.endBurst()
        #expect(try nacked() == [[12]])
        #expect(timersStarted == 1 && publisher.path.awaitingRepair.count == 1)
        // The timer's ticks: nothing before the retry interval, then the retry.
        #expect(publisher.path.retryRepairs(now: .now))
        harness.endBurst()
        #expect(try nacked().isEmpty)
        #expect(publisher.path.retryRepairs(now: .now + MissingPackets.initialRetryInterval))
        harness.endBurst()
        #expect(try nacked() == [[12]])
        // The repair arrives: the next tick stops the timer.
        try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: 12, timestamp: 1, payloadType: 96))
        #expect(!publisher.path.retryRepairs(now: .now + .seconds(1)))
        #expect(publisher.path.awaitingRepair.isEmpty && timersStarted == 1)
    }
}

/// Transport-wide feedback on the publisher leg, through the media path.
@Suite struct PublisherFeedbackTests {
    static let start: UInt64 = 20_000_000_000

    static func packet(_ sequenceNumber: UInt16, transportSequence: UInt16) -> [UInt8] {
        rtpPacket(
            ssrc: 0x1111,
            sequenceNumber: sequenceNumber,
            timestamp: 3_000 * UInt32(sequenceNumber),
            payloadType: 96,
            extensions: [(3, [UInt8(transportSequence >> 8), UInt8(transportSequence & 0xFF)])]
        )
    }

    @Test func feedbackGoesOutAtTheEndOfTheBurstOnceDueAndMediaKeepsFlowing() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (_, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        publisher.path.startTransportFeedback(extensionID: 3)
        for index in UInt16(0)..<5 {
            try publisher.send(
                Self.packet(index, transportSequence: 900 + index),
                arrival: Self.start + UInt64(index) * 5_000_000
            )
        }
        harness.endBurst()
        #expect(try publisher.received().rtcp.isEmpty, "not due within 50 ms")
        #expect(try subscriber.received().rtp.count == 5)
        // 60 ms later: due; the feedback covers all six packets, and the burst's media
        // still reaches the subscriber.
        try publisher.send(Self.packet(5, transportSequence: 905), arrival: Self.start + 60_000_000)
        harness.endBurst()
        let feedback = try publisher.received().rtcp
        guard case .transportWideFeedback(let packet)? = feedback.first else {
            Issue.record("no transport-wide feedback: \(feedback)")
            return
        }
        #expect(packet.baseSequenceNumber == 900 && packet.receiveDeltas.count == 6)
        #expect(packet.mediaSSRC == 0x1111 && packet.senderSSRC == Room.reportingSSRC)
        #expect(packet.receiveDeltas.dropFirst() == [20, 20, 20, 20, 160])
        #expect(try subscriber.received().rtp.count == 1)
        #expect(publisher.path.counters.transportFeedbackSent == 1)
        // The path still queues itself for the next burst.
        try publisher.send(Self.packet(6, transportSequence: 906), arrival: Self.start + 61_000_000)
        harness.endBurst()
        #expect(try subscriber.received().rtp.count == 1)
    }

    @Test func aGapSendsFeedbackAtOnce() throws {
        let harness = try MediaHarness()
        let (_, publisher) = try harness.publisher("alice")
        publisher.path.startTransportFeedback(extensionID: 3)
        try publisher.send(Self.packet(0, transportSequence: 10), arrival: Self.start)
        try publisher.send(Self.packet(1, transportSequence: 13), arrival: Self.start + 1_000_000)
        harness.endBurst()
        let feedback = try publisher.received().rtcp
        #expect(
            feedback.map { packet -> [Bool] in
                guard case .transportWideFeedback(let feedback) = packet else { return [] }
                return feedback.receiveDeltas.map { $0 != nil }
            } == [[true, false, false, true]]
        )
    }

    @Test func withoutTransportCCNothingIsSent() throws {
        let harness = try MediaHarness()
        let (_, publisher) = try harness.publisher("alice")
        for index in UInt16(0)..<3 {
            try publisher.send(
                Self.packet(index, transportSequence: index),
                arrival: Self.start + UInt64(index) * 100_000_000
            )
        }
        harness.endBurst()
        #expect(try publisher.received().rtcp.isEmpty)
    }
}

/// The subscriber leg: the header extensions each copy carries, and the subscriber's
/// transport-wide feedback turned into an estimate.
@Suite struct SubscriberLegTests {
    static let subscriberMap = RTPHeaderExtensionMap(
        Dictionary(uniqueKeysWithValues: Consumer.serverExtensionIDs.map { ($0.id, $0.uri) })
    )

    @Test func copiesCarryTheSubscribersMidTransportSequenceAndThePublishersOrientation() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers, acceptingExtensions: true)
        // A portrait phone: its camera's frames turned 90° (CVO, 3GPP TS 26.114).
        let rotated = rtpPacket(
            ssrc: 0x1111,
            sequenceNumber: 1,
            timestamp: 1,
            payloadType: 96,
            extensions: [(13, [0x01])]
        )
        try publisher.send(rotated)
        try publisher.send(
            rtpPacket(ssrc: 0x3333, sequenceNumber: 1, timestamp: 1, payloadType: 111, extensions: [(1, [0x90])])
        )
        try publisher.send(
            rtpPacket(ssrc: 0x1111, sequenceNumber: 2, timestamp: 1, payloadType: 96, extensions: [(13, [0x01])])
        )
        harness.endBurst()
        let received = try subscriber.received().rtp
        #expect(received.count == 3)
        let map = Self.subscriberMap
        #expect(received.map { $0.transportWideSequenceNumber(using: map) } == [0, 1, 2])
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        let audio = try #require(bob.consumers.first { $0.producer.kind == "audio" })
        #expect(received[0].mid(using: map) == video.mid && received[1].mid(using: map) == audio.mid)
        #expect(received[0].videoOrientation(using: map)?.rotation == 90)
        #expect(received[1].audioLevel(using: map)?.level == 0x10)
        #expect(received.allSatisfy { $0.absSendTime(using: map) != nil })
    }

    /// A packet the subscriber's transport-wide feedback reports lost is resent on the
    /// RTX stream without waiting for its NACK; one its NACK already had resent is not,
    /// and a lost resend is resent again.
    @Test func packetsTheFeedbackReportsLostAreResent() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers, acceptingExtensions: true)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        for index in UInt16(0)..<10 {
            try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: 100 + index, timestamp: 1, payloadType: 96))
        }
        harness.endBurst()
        let sent = try subscriber.received().rtp
        #expect(sent.count == 10)
        let map = Self.subscriberMap
        // The subscriber NACKs the fourth; it got neither the fourth nor the seventh.
        try subscriber.send([
            .genericNACK(
                GenericNACK(senderSSRC: 9, mediaSSRC: video.ssrc, lostSequenceNumbers: [sent[3].sequenceNumber])
            )
        ])
        harness.endBurst()
        let nacked = try subscriber.received().rtp
        #expect(nacked.map(\.originalSequenceNumber) == [sent[3].sequenceNumber])
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9)
        for (index, packet) in (sent + nacked).enumerated() where index != 3 && index != 6 && index != 10 {
            _ = receiver.record(
                try #require(packet.transportWideSequenceNumber(using: map)),
                arrival: 7_000_000_000 + UInt64(index) * 1_000_000
            )
        }
        // Feedback on the ten and the resend, which was lost too (the last: a later
        // packet shows it missing).
        _ = receiver.record(11, arrival: 7_020_000_000)
        try subscriber.send(receiver.makeFeedback().map { .transportWideFeedback($0) })
        harness.endBurst()
        let repaired = try subscriber.received().rtp
        #expect(
            repaired.map(\.originalSequenceNumber) == [sent[6].sequenceNumber, sent[3].sequenceNumber],
            "the seventh, and the fourth's lost resend; not the fourth's first copy"
        )
        #expect(repaired.allSatisfy { $0.ssrc == video.retransmissionSSRC && $0.payloadType == 102 })
        #expect(video.lossRepairs == 2 && video.retransmissions == 3)
    }

    @Test func theSubscribersFeedbackBecomesAnEstimateAndNonsenseIsCounted() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (_, subscriber) = try harness.subscriber("bob", taking: alice.producers, acceptingExtensions: true)
        for index in UInt16(0)..<30 {
            try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: index, timestamp: 1, payloadType: 96))
        }
        harness.endBurst()
        let received = try subscriber.received().rtp
        #expect(received.count == 30)
        // The subscriber reports what it got, 1 ms apart, as a browser would.
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9)
        for (index, packet) in received.enumerated() {
            _ = receiver.record(
                try #require(packet.transportWideSequenceNumber(using: Self.subscriberMap)),
                arrival: 7_000_000_000 + UInt64(index) * 1_000_000
            )
        }
        try subscriber.send(receiver.makeFeedback().map { .transportWideFeedback($0) })
        let estimate = try #require(subscriber.path.bandwidthEstimate)
        #expect(estimate.feedbackPackets == 1 && estimate.unknownPackets == 0)
        #expect(subscriber.path.availableBitrate != nil)
        // Feedback about packets never sent is counted and changes nothing.
        let bogus = TransportWideFeedback(
            senderSSRC: 9,
            mediaSSRC: 0,
            baseSequenceNumber: 40_000,
            referenceTime: 5,
            feedbackPacketCount: 1,
            receiveDeltas: [4, 4]
        )
        try subscriber.send([.transportWideFeedback(bogus)])
        #expect(subscriber.path.drops[.unknownFeedback] == 1)
        #expect(subscriber.path.bandwidthEstimate?.unknownPackets == 2)
        // And on a path that numbers nothing (the publisher's), it is dropped.
        try publisher.send([.transportWideFeedback(bogus)])
        #expect(publisher.path.drops[.unknownFeedback] == 0, "a publisher's RTCP is not routed as feedback")
    }

    /// A client without transport-wide feedback (aiortc sends REMB and receiver reports):
    /// its REMB is the estimate, and its reports' loss, applied to what the path sent,
    /// brings it down.
    @Test func rembAndReceiverReportsEstimateClientsWithoutTransportFeedback() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        try subscriber.send([
            .receiverEstimatedMaximumBitrate(REMB(senderSSRC: 9, bitsPerSecond: 1_200_000, ssrcs: [video.ssrc]))
        ])
        #expect(subscriber.path.availableBitrate == 1_200_000)
        #expect(subscriber.path.bandwidthEstimate?.receiverEstimate == 1_200_000)
        // Half a second of 800 kbit/s, then a report of 30 % loss on the video stream.
        let start = UInt64(30_000_000_000)
        subscriber.path.receiveReceiverReport(
            ReceiverReport(ssrc: 9, reports: [ReportBlock(ssrc: video.ssrc)]),
            sending: [video.ssrc],
            now: start
        )
        #expect(subscriber.path.availableBitrate == 1_200_000, "a first report has no rate to apply its loss to")
        for index in UInt16(0)..<40 {
            try publisher.send(
                rtpPacket(
                    ssrc: 0x1111,
                    sequenceNumber: index,
                    timestamp: 1,
                    payloadType: 96,
                    payload: Array(repeating: 1, count: 1_200)
                )
            )
        }
        harness.endBurst()
        let sentBits = Double(subscriber.path.counters.bytesOut * 8)
        subscriber.path.receiveReceiverReport(
            ReceiverReport(ssrc: 9, reports: [ReportBlock(ssrc: video.ssrc, fractionLost: 77)]),
            sending: [video.ssrc],
            now: start + 500_000_000
        )
        let sentRate = sentBits / 0.5
        let expected = sentRate * (1 - 77.0 / 256) * (1 - 0.5 * 77.0 / 256)
        let estimate = Double(try #require(subscriber.path.availableBitrate))
        #expect(abs(estimate - expected) < 1_000, "\(estimate) for \(expected)")
        // Reports about streams this path does not send are not its loss.
        subscriber.path.receiveReceiverReport(
            ReceiverReport(ssrc: 9, reports: [ReportBlock(ssrc: 0xDEAD, fractionLost: 255)]),
            sending: [video.ssrc],
            now: start + 1_000_000_000
        )
        #expect(Double(subscriber.path.availableBitrate ?? 0) == estimate.rounded(.towardZero))
    }

    /// A receiver report that names one of the server's sender reports gives the round
    /// trip (RFC 3550 §6.4.1); NACKs are then answered at most once per round trip.
    @Test func receiverReportsGiveTheRoundTripAndNACKsFollowIt() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        for index in UInt16(0)..<3 {
            try publisher.send(rtpPacket(ssrc: 0x1111, sequenceNumber: index, timestamp: 1, payloadType: 96))
        }
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        // The server's sender report went out 250 ms ago; the subscriber held it 100 ms.
        let now = SelectedUDPSocket.wallClock
        let sent = NTPTime.timestamp(seconds: Double(now) / 1_000_000_000 + NTPTime.unixOffset - 0.25)
        let block = ReportBlock(
            ssrc: video.ssrc,
            lastSenderReport: UInt32(truncatingIfNeeded: sent >> 16),
            delaySinceLastSenderReport: UInt32(0.1 * 65_536)
        )
        subscriber.path.receiveReceiverReport(
            ReceiverReport(ssrc: 9, reports: [block]),
            sending: [video.ssrc],
            now: now
        )
        let roundTrip = try #require(subscriber.path.bandwidthEstimate?.roundTripTime)
        #expect(abs(roundTrip - 150) <= 1, "\(roundTrip) ms")
        // A report without a sender report to name gives none.
        #expect(NTPTime.roundTrip(lastSenderReport: 0, delay: 0, now: sent) == nil)
        let lost = forwarded[1].sequenceNumber
        video.retransmit([lost], now: now)
        video.retransmit([lost], now: now + 140_000_000)
        video.retransmit([lost], now: now + 160_000_000)
        harness.endBurst()
        // Once, then twice: the first resend was lost.
        #expect(try subscriber.received().rtp.count == 3)
        #expect(video.drops[.resentRecently] == 1)
    }

    /// The subscriber's feedback starts a probe: recent video packets again on the RTX
    /// stream, numbered and stamped like media, paced by the path; the feedback on them
    /// measures the link, and a NACK's retransmission is numbered too.
    @Test func probesGoOutOnTheRTXStreamNumberedAndTheirFeedbackMeasuresTheLink() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers, acceptingExtensions: true)
        let map = Self.subscriberMap
        for index in UInt16(0)..<30 {
            try publisher.send(
                rtpPacket(
                    ssrc: 0x1111,
                    sequenceNumber: index,
                    timestamp: 3_000 * UInt32(index / 3),
                    payloadType: 96,
                    payload: Array(repeating: UInt8(index), count: 1_000)
                )
            )
        }
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        #expect(forwarded.count == 30)
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9)
        var arrival = UInt64(7_000_000_000)
        for packet in forwarded {
            _ = receiver.record(try #require(packet.transportWideSequenceNumber(using: map)), arrival: arrival)
            arrival += 1_000_000
        }
        try subscriber.send(receiver.makeFeedback().map { .transportWideFeedback($0) })
        // The first probe, three times the first estimate, paced on the wall clock.
        let cluster = try #require(subscriber.path.prober.current)
        #expect(cluster.bitrate == 3 * BandwidthEstimator.initialBitrate)
        let probes = try Self.sendProbe(on: subscriber, harness)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        #expect(probes.count >= BandwidthProber.minimumPackets)
        #expect((subscriber.path.prober.awaited?.cluster.bytesSent ?? 0) >= BandwidthProber.minimumBytes)
        #expect(probes.allSatisfy { $0.ssrc == video.retransmissionSSRC && $0.payloadType == 102 })
        #expect(
            probes.map { $0.transportWideSequenceNumber(using: map) } == (30..<(30 + probes.count)).map { UInt16($0) }
        )
        #expect(probes.allSatisfy { $0.absSendTime(using: map) != nil && $0.mid(using: map) == video.mid })
        // Each carries a packet the subscriber already got, newest first.
        #expect(probes.first?.originalSequenceNumber == forwarded.last?.sequenceNumber)
        #expect(probes.first?.payloadLength == forwarded.last!.payloadLength + 2)
        #expect(subscriber.path.prober.clustersSent == 1)
        // The subscriber got them as fast as they were sent (their abs-send-time apart):
        // the probe measures the cluster's rate, and the estimate becomes that.
        let firstSent = try #require(probes.first?.absSendTime(using: map))
        for packet in probes {
            let sent = try #require(packet.absSendTime(using: map))
            let offset = UInt64((sent &- firstSent) & 0xFF_FFFF) * 1_000_000_000 >> 18
            _ = receiver.record(try #require(packet.transportWideSequenceNumber(using: map)), arrival: arrival + offset)
        }
        try subscriber.send(receiver.makeFeedback().map { .transportWideFeedback($0) })
        let measured = try #require(subscriber.path.bandwidthEstimate?.lastProbe)
        #expect(measured > 100_000 && measured < 2_000_000, "about the cluster's 900 kbit/s: \(measured)")
        #expect(subscriber.path.availableBitrate == measured)
        // A NACK's retransmission is numbered too.
        try subscriber.send([
            .genericNACK(
                GenericNACK(senderSSRC: 9, mediaSSRC: video.ssrc, lostSequenceNumbers: [forwarded[3].sequenceNumber])
            )
        ])
        harness.endBurst()
        let resent = try subscriber.received().rtp
        #expect(resent.count == 1 && resent.first?.originalSequenceNumber == forwarded[3].sequenceNumber)
        #expect(resent.first?.transportWideSequenceNumber(using: map) == UInt16(30 + probes.count))
    }

    /// A stream that just started has sent fewer packets than a probe needs: the probe
    /// goes round them again, newest first, until it carried its minimum bytes.
    @Test func aProbeOnAStreamThatJustStartedResendsItsFewPacketsAgain() throws {
        let harness = try MediaHarness()
        let (alice, publisher) = try harness.publisher("alice")
        let (bob, subscriber) = try harness.subscriber("bob", taking: alice.producers, acceptingExtensions: true)
        let map = Self.subscriberMap
        for index in UInt16(0)..<3 {
            try publisher.send(
                rtpPacket(
                    ssrc: 0x1111,
                    sequenceNumber: index,
                    timestamp: 3_000,
                    payloadType: 96,
                    payload: Array(repeating: UInt8(index), count: 500)
                )
            )
        }
        harness.endBurst()
        let forwarded = try subscriber.received().rtp
        #expect(forwarded.count == 3)
        let receiver = TransportFeedbackGenerator(extensionID: 3, senderSSRC: 9)
        for (index, packet) in forwarded.enumerated() {
            let number = try #require(packet.transportWideSequenceNumber(using: map))
            _ = receiver.record(number, arrival: 7_000_000_000 + UInt64(index) * 1_000_000)
        }
        try subscriber.send(receiver.makeFeedback().map { .transportWideFeedback($0) })
        let probes = try Self.sendProbe(on: subscriber, harness)
        let video = try #require(bob.consumers.first { $0.producer.kind == "video" })
        #expect(probes.allSatisfy { $0.ssrc == video.retransmissionSSRC })
        let cluster = try #require(subscriber.path.prober.awaited?.cluster)
        #expect(cluster.bytesSent >= BandwidthProber.minimumBytes && cluster.packetsSent == probes.count)
        let newestFirst = forwarded.reversed().map(\.sequenceNumber)
        #expect(probes.prefix(6).map(\.originalSequenceNumber) == newestFirst + newestFirst)
        #expect(subscriber.path.prober.clustersSent == 1)
    }

    /// Paces the probe that started on `subscriber`'s path on the wall clock, as the
    /// connection's timer does, until it ends (at most a second); returns what it sent.
    static func sendProbe(on subscriber: MediaHarness.Leg, _ harness: MediaHarness) throws -> [RTPPacket] {
        var rounds = 0
        while subscriber.path.probe(), rounds < 1_000 {
            harness.endBurst()
            usleep(1_000)
            rounds += 1
        }
        harness.endBurst()
        return try subscriber.received().rtp
    }
}
