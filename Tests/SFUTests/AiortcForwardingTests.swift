import DTLS
import Foundation
import ICE
import SFU
import TestSupport
import Testing

/// The routing core between two aiortc peers (an independent WebRTC stack): one
/// publishes synthetic VP8 video and Opus audio, the other receives both through the
/// room and decodes them. Everything runs in a private network namespace.
@Suite(.serialized) struct AiortcForwardingTests {
    struct SDPMessage: Codable { var sdp: String }

    struct Received: Codable {
        struct RemoteOutbound: Codable {
            var kind: String
            var packets_sent: Int
        }

        var video_frames: Int
        var audio_frames: Int
        var video_sizes: [String]
        var state: String
        var remote_outbound: [RemoteOutbound]
    }

    struct Published: Codable {
        struct RemoteInbound: Codable {
            var kind: String
            var packets_lost: Int
            var round_trip_time: Double?
        }

        var done: Bool
        var state: String
        var remote_inbound: [RemoteInbound]
    }

    /// A room on its own worker in a private network namespace, an aiortc publisher that
    /// sends for `publisherSeconds` and an aiortc subscriber that receives what the room
    /// offers for `subscriberSeconds`; `body` runs once both are negotiated.
    func withCall(
        configuration: RoomConfiguration = .init(),
        publisherSeconds: Int,
        publisherArguments: [String] = [],
        subscriberSeconds: Int,
        _ body: (MediaWorker, UncheckedSendableBox<Room?>, InteractiveProcess, InteractiveProcess) throws -> Void
    ) throws {
        let worker = MediaWorker(name: "room")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let room = UncheckedSendableBox<Room?>(nil)
        worker.sync {
            room.value = Room(name: "interop", worker: worker, certificate: certificate, configuration: configuration)
        }
        defer { worker.sync { room.value?.close() } }

        // The publisher offers; the room answers.
        let publisher = try network.python(
            "scripts/interop/aiortc_publisher.py",
            ["\(publisherSeconds)"] + publisherArguments
        )
        defer { publisher.wait(limit: .seconds(1)) }
        let offer = try JSONDecoder().decode(SDPMessage.self, from: Data(try publisher.readLine().utf8))
        let answer = try worker.sync {
            Result { () throws(SFUError) -> String in
                room.value!.join(participantID: "alice", displayName: "Alice")
                return try room.value!.publish(participantID: "alice", offer: offer.sdp).answer
            }
        }.get()
        publisher.writeLine(String(decoding: try JSONEncoder().encode(SDPMessage(sdp: answer)), as: UTF8.self))
        let publishing = Polling.until(limit: .seconds(10)) {
            worker.sync {
                room.value!.allProducers.allSatisfy { $0.packets > 0 } && room.value!.allProducers.count == 2
            }
        }
        #expect(publishing, "no media from the publisher: \(publisher.standardError)")

        // The room offers the publisher's tracks to a subscriber, which answers.
        let subscriber = try network.python("scripts/interop/aiortc_subscriber.py", ["\(subscriberSeconds)"])
        defer { subscriber.wait(limit: .seconds(1)) }
        let subscription = try worker.sync {
            Result { () throws(SFUError) -> String in
                room.value!.join(participantID: "bob")
                return try room.value!.subscribe(participantID: "bob")
            }
        }.get()
        subscriber.writeLine(String(decoding: try JSONEncoder().encode(SDPMessage(sdp: subscription)), as: UTF8.self))
        let subscriberAnswer = try JSONDecoder().decode(SDPMessage.self, from: Data(try subscriber.readLine().utf8))
        try worker.sync {
            Result { () throws(SFUError) in
                try room.value!.acceptSubscriptionAnswer(participantID: "bob", answer: subscriberAnswer.sdp)
            }
        }.get()
        try body(worker, room, publisher, subscriber)
    }

    @Test func aiortcPublisherReachesAiortcSubscriberThroughTheRoom() throws {
        try self.withCall(publisherSeconds: 12, subscriberSeconds: 6) { worker, room, publisher, subscriber in
            try self.checkForwarding(worker, room, publisher, subscriber)
        }
    }

    func checkForwarding(
        _ worker: MediaWorker,
        _ room: UncheckedSendableBox<Room?>,
        _ publisher: InteractiveProcess,
        _ subscriber: InteractiveProcess
    ) throws {
        let received = try JSONDecoder().decode(
            Received.self,
            from: Data(try subscriber.readLine(limit: .seconds(20)).utf8)
        )
        print("aiortc subscriber decoded: \(received)")
        // aiortc's synthetic camera is 640x480 at 30 frames/s; audio is 50 frames/s.
        #expect(received.video_frames >= 30, "stderr: \(subscriber.standardError)")
        #expect(received.audio_frames >= 100)
        #expect(received.video_sizes == ["640x480"])
        let forwarded = worker.sync { room.value!.allProducers.map { $0.packets } }
        #expect(forwarded.allSatisfy { $0 > 0 })
        // Connected transports wake the worker for nothing: their handshake timers stopped.
        let ticking = worker.sync {
            room.value!.participants.values.flatMap { participant in
                [participant.publishTransport, participant.subscribeTransport].compactMap { $0 }
            }.map { ($0.state, $0.isHandshakeTimerRunning) }
        }
        #expect(ticking.count == 2 && ticking.allSatisfy { $0 == (.connected, false) }, "\(ticking)")
        // The SFU's sender reports reached the subscriber, one stream each.
        #expect(Set(received.remote_outbound.map(\.kind)) == ["audio", "video"], "\(received.remote_outbound)")
        #expect(received.remote_outbound.allSatisfy { $0.packets_sent > 0 })

        // The SFU's receiver reports reached the publisher: its round-trip time comes from
        // their LSR/DLSR fields, which only a correct echo of its own SRs produces.
        let published = try JSONDecoder().decode(
            Published.self,
            from: Data(try publisher.readLine(limit: .seconds(20)).utf8)
        )
        print("aiortc publisher heard: \(published)")
        #expect(Set(published.remote_inbound.map(\.kind)) == ["audio", "video"])
        for report in published.remote_inbound {
            #expect(report.packets_lost == 0)
            #expect(report.round_trip_time.map { $0 >= 0 && $0 < 0.5 } == true, "\(report)")
        }

        let keyFrameRequests = worker.sync { room.value!.allProducers.first { $0.kind == "video" }?.keyFrameRequests }
        #expect((keyFrameRequests ?? 0) >= 1, "a new subscriber asks for a keyframe")
    }

    /// A publisher that ignores REMB (aiortc encoding noise at 1.5 Mbit/s) against a limit
    /// of 400 kbit/s: what arrives beyond the limit is dropped and counted, and what its
    /// producer takes in stays within the limit.
    @Test func aPublisherThatIgnoresREMBIsHeldToTheLimit() throws {
        try self.withCall(
            configuration: RoomConfiguration(maximumPublisherBitrate: 400_000),
            publisherSeconds: 14,
            publisherArguments: ["ignoring-remb"],
            subscriberSeconds: 8
        ) { worker, room, publisher, subscriber in
            func sample() -> (arrived: UInt64, taken: UInt64, dropped: UInt64) {
                worker.sync {
                    let path = room.value!.participants["alice"]!.publishTransport!.media
                    let taken = room.value!.allProducers.map(\.bytes).reduce(0, +)
                    return (path.counters.bytesIn, taken, path.drops[.overBitrateLimit])
                }
            }
            Thread.sleep(forTimeInterval: 2)
            let first = sample()
            Thread.sleep(forTimeInterval: 5)
            let last = sample()
            let arrived = Double(last.arrived - first.arrived) * 8 / 5
            let taken = Double(last.taken - first.taken) * 8 / 5
            print("ignoring REMB: \(Int(arrived)) bit/s arrived, \(Int(taken)) bit/s taken, \(last.dropped) dropped")
            #expect(arrived > 800_000, "the publisher did not send beyond the limit")
            #expect(taken <= 400_000)
            #expect(last.dropped > first.dropped)
            _ = try? subscriber.readLine(limit: .seconds(20))
            _ = try? publisher.readLine(limit: .seconds(20))
        }
    }

    /// A worker that falls behind sheds the media that waited in the kernel longer than
    /// the limit, counts it, and goes on forwarding what is fresh; the SFU asks the
    /// publisher for what it shed (NACK) and the subscriber decodes on.
    @Test func aStalledWorkerShedsMediaThatWaitedTooLongAndRecovers() throws {
        var configuration = RoomConfiguration()
        configuration.ice.maximumQueueDelay = .milliseconds(100)
        try self.withCall(configuration: configuration, publisherSeconds: 14, subscriberSeconds: 8) {
            worker,
            room,
            publisher,
            subscriber in
            let flowing = Polling.until(limit: .seconds(10)) {
                worker.sync { room.value!.participants["bob"]?.subscribeTransport?.media.counters.packetsOut ?? 0 > 50 }
            }
            #expect(flowing, "no media reached the subscriber")
            let before = worker.sync { room.value!.allProducers.map(\.packets).reduce(0, +) }
            // The worker stalls for 700 ms while the publisher sends: what arrives in the
            // first 600 ms is over the limit by the time the worker reads it.
            worker.sync { Thread.sleep(forTimeInterval: 0.7) }
            let received = try JSONDecoder().decode(
                Received.self,
                from: Data(try subscriber.readLine(limit: .seconds(20)).utf8)
            )
            let (shed, forwarded, repairs) = worker.sync {
                let publisher = room.value!.participants["alice"]!.publishTransport!
                return (
                    publisher.media.drops[.queuedTooLong],
                    room.value!.allProducers.map(\.packets).reduce(0, +) - before,
                    room.value!.allProducers.map { ($0.nacksSent, $0.repairedPackets) }
                        .reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
                )
            }
            print("shed \(shed), forwarded since the stall \(forwarded), NACKs and repairs \(repairs), \(received)")
            // aiortc sends about 50 audio and 60-100 video packets a second.
            #expect(shed >= 30, "the packets queued during the stall were forwarded late")
            #expect(forwarded > 400, "forwarding did not go on after the stall")
            #expect(repairs.0 >= 1 && repairs.1 >= 1, "the shed video was not asked for again")
            // 8 s at 30 frames/s less the stall: the decoder recovered.
            #expect(received.video_frames >= 150, "stderr: \(subscriber.standardError)")
            _ = publisher
        }
    }
}
