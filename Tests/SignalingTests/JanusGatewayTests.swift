import Foundation
import SDP
import SFU
import TestSupport
import Testing

@testable import Signaling

/// The Janus face in process, on hostile and edge input: every request gets a Janus
/// reply (never a trap), bad fields get Janus's codes, and nothing outlives its session.
@Suite struct JanusGatewayTests {
    static let valid = [
        #"{"janus":"create","transaction":"a"}"#,
        #"{"janus":"attach","plugin":"janus.plugin.videoroom","transaction":"b","session_id":1}"#,
        #"{"janus":"message","transaction":"c","body":{"request":"create","room":77,"publishers":3,"videocodec":"vp8,h264"}}"#,
        #"{"janus":"message","transaction":"d","body":{"request":"join","room":77,"ptype":"publisher","display":"x","id":5}}"#,
        #"{"janus":"message","transaction":"e","body":{"request":"configure","audio":true},"jsep":{"type":"offer","sdp":"v=0\r\n"}}"#,
        #"{"janus":"message","transaction":"f","body":{"request":"join","room":77,"ptype":"subscriber","streams":[{"feed":5,"mid":"1"}]}}"#,
        #"{"janus":"trickle","transaction":"g","candidates":[{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"},null]}"#,
        #"{"janus":"message","transaction":"h","body":{"request":"listparticipants","room":77}}"#,
        #"{"janus":"keepalive","transaction":"i","session_id":1}"#,
        #"{"janus":"message","transaction":"j","body":{"request":"leave"}}"#,
    ]

    static func gateway(_ configuration: JanusConfiguration = JanusConfiguration()) throws -> JanusGateway {
        JanusGateway(server: try MediaServer(configuration: .init(workers: 1)), configuration: configuration)
    }

    /// `edit` reaches the live room: the publisher and subscriber limits, the bitrate cap
    /// (REMB) and `fir_freq`, as the core room holds them. And `listforwarders`.
    @Test func editReachesTheLiveRoom() async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let gateway = JanusGateway(server: server, configuration: JanusConfiguration())
        let (session, handle) = try await Self.session(gateway)
        let created = try await Self.event(
            gateway,
            ["request": "create", "room": 5151, "publishers": 3, "bitrate": 128_000, "max_subscribers": 7],
            session: session,
            handle: handle
        )
        #expect(created["plugindata"]?["data"]?["videoroom"] == "created", "\(created)")
        let edited = try await Self.event(
            gateway,
            [
                "request": "edit", "room": 5151, "new_publishers": 1, "new_bitrate": 512_000, "new_fir_freq": 5,
                "new_max_subscribers": 9,
            ],
            session: session,
            handle: handle
        )
        #expect(edited["plugindata"]?["data"]?["videoroom"] == "edited", "\(edited)")
        let core = try await server.withRoom("videoroom/5151") { room throws(SFUError) in
            (
                room.configuration.maximumPublishers, room.configuration.publisherBitrateCap,
                room.configuration.keyFrameRequestInterval, room.configuration.maximumSubscribers
            )
        }
        #expect(core.0 == 1 && core.1 == 512_000 && core.2 == .seconds(5) && core.3 == 9)
        // No RTP forwarder exists: listforwarders answers an empty list, in Janus's shape.
        let forwarders = try await Self.event(
            gateway,
            ["request": "listforwarders", "room": 5151],
            session: session,
            handle: handle
        )
        #expect(forwarders["plugindata"]?["data"] == ["videoroom": "forwarders", "room": 5151, "publishers": []])
        await server.shutdown()
    }

    /// A draining server makes no room and lets no one join one: 499 with a reason that
    /// says so (Janus has no code of its own for it).
    @Test func aDrainingServerRefusesRoomsAndJoins() async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let gateway = JanusGateway(server: server, configuration: JanusConfiguration())
        let (session, handle) = try await Self.session(gateway)
        server.startDraining()
        for body: JSONValue in [
            ["request": "create", "room": 4242],
            ["request": "join", "room": 1234, "ptype": "publisher"],
        ] {
            let reply = try await Self.event(gateway, body, session: session, handle: handle)
            let data = reply["plugindata"]?["data"]
            #expect(data?["error_code"]?.intValue == 499, "\(reply)")
            #expect(data?["error"]?.stringValue?.contains("draining") == true)
        }
    }

    @Test func mutatedRequestsGetRepliesAndLeaveNothingBehind() async throws {
        let gateway = try Self.gateway()
        let (outbox, send) = AsyncStream<String>.makeStream()
        let connection = await gateway.open(send: send)
        var random = SplitMix64(seed: 0x1A_05)
        for round in 0..<3000 {
            var bytes = Array(Self.valid.randomElement(using: &random)!.utf8)
            // Every tenth request goes through unchanged, so that state builds up.
            if round % 10 != 0 { JSONMutation.mutate(&bytes, edits: 1...5, using: &random) }
            await gateway.receive(String(decoding: bytes, as: UTF8.self), connection: connection)
        }
        send.finish()
        var replies = 0
        for await text in outbox {
            let reply = try #require(JSONValue.parse(text))
            #expect(
                ["success", "error", "ack", "event", "server_info", "pong", "hangup", "detached"]
                    .contains(reply["janus"]?.stringValue ?? "")
            )
            replies += 1
        }
        // One immediate reply per request, at least.
        #expect(replies >= 3000)
        await gateway.close(connection: connection)
        #expect(await gateway.census == .init(sessions: 0, handles: 0, publishers: 0, subscribers: 0))
        #expect(gateway.counters.errorCounts.values.reduce(0, +) > 1000)
        // A handle's queued work may still hold a transport: the server closes it (a
        // transport released unclosed stops the process).
        await gateway.server.shutdown()
    }

    /// Sends one request over HTTP and returns the reply.
    static func post(
        _ gateway: JanusGateway,
        _ request: JSONValue,
        session: UInt64? = nil,
        handle: UInt64? = nil
    )
        async -> JSONValue
    {
        await gateway.receive(request.text, session: session, handle: handle)
    }

    static func session(_ gateway: JanusGateway) async throws -> (UInt64, UInt64) {
        let created = await Self.post(gateway, ["janus": "create", "transaction": "s"])
        let session = UInt64(try #require(created["data"]?["id"]?.intValue))
        let attached = await Self.post(
            gateway,
            ["janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "h"],
            session: session
        )
        return (session, UInt64(try #require(attached["data"]?["id"]?.intValue)))
    }

    @Test func oversizedFieldsAreRefusedWithJanusCodes() async throws {
        let gateway = try Self.gateway()
        let (session, handle) = try await Self.session(gateway)
        func plugin(_ body: JSONValue) async -> JSONValue? {
            await Self.post(
                gateway,
                ["janus": "message", "transaction": "m", "body": body],
                session: session,
                handle: handle
            )[
                "plugindata"
            ]?["data"]
        }
        let long = String(repeating: "x", count: 10_000)
        #expect(await plugin(["request": "create", "room": 9, "description": .string(long)])?["error_code"] == 430)
        #expect(
            await plugin(["request": "create", "room": 9, "videocodec": "vp8,h264,vp9,av1,h265,vp8"])?["error_code"]
                == 430
        )
        #expect(
            await plugin(["request": "create", "room": 9, "allowed": .array(Array(repeating: "t", count: 2000))])?[
                "error_code"
            ] == 430
        )
        let transaction = await Self.post(
            gateway,
            ["janus": "keepalive", "transaction": .string(long)],
            session: session
        )
        #expect(transaction["error"]?["code"] == 467)
        let sdp = "v=0\r\n" + String(repeating: "a=x\r\n", count: 60_000)
        let offer = await Self.post(
            gateway,
            [
                "janus": "message", "transaction": "o", "body": ["request": "configure"],
                "jsep": ["type": "offer", "sdp": .string(sdp)],
            ],
            session: session,
            handle: handle
        )
        #expect(offer["error"]?["code"] == 465)
        let candidates = await Self.post(
            gateway,
            ["janus": "trickle", "transaction": "t", "candidates": .array(Array(repeating: nil, count: 100))],
            session: session,
            handle: handle
        )
        #expect(candidates["error"]?["code"] == 467)
    }

    @Test func authenticationAsJanusHasIt() async throws {
        let gateway = try Self.gateway(JanusConfiguration(apiSecret: "s3cret", tokens: ["tok"], adminKey: "admin"))
        #expect(await Self.post(gateway, ["janus": "create", "transaction": "1"])["error"]?["code"] == 403)
        #expect(
            await Self.post(gateway, ["janus": "create", "transaction": "2", "apisecret": "nope"])["error"]?["code"]
                == 403
        )
        #expect(
            await Self.post(gateway, ["janus": "create", "transaction": "3", "token": "tok"])["janus"] == "success"
        )
        let created = await Self.post(gateway, ["janus": "create", "transaction": "4", "apisecret": "s3cret"])
        let session = UInt64(try #require(created["data"]?["id"]?.intValue))
        // Every request needs it, not just create; info and ping do not.
        #expect(
            await Self.post(gateway, ["janus": "keepalive", "transaction": "5"], session: session)["error"]?["code"]
                == 403
        )
        #expect(await Self.post(gateway, ["janus": "info", "transaction": "6"])["janus"] == "server_info")
        let attached = await Self.post(
            gateway,
            ["janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "7", "token": "tok"],
            session: session
        )
        let handle = UInt64(try #require(attached["data"]?["id"]?.intValue))
        // Room creation needs the VideoRoom's admin_key.
        let refused = await Self.post(
            gateway,
            ["janus": "message", "transaction": "8", "token": "tok", "body": ["request": "create", "room": 3]],
            session: session,
            handle: handle
        )
        #expect(refused["plugindata"]?["data"]?["error_code"] == 433)
        let allowed = await Self.post(
            gateway,
            [
                "janus": "message", "transaction": "9", "token": "tok",
                "body": ["request": "create", "room": 3, "admin_key": "admin"],
            ],
            session: session,
            handle: handle
        )
        #expect(allowed["plugindata"]?["data"]?["videoroom"] == "created")
    }

    @Test func idleSessionsTimeOutAndTheirParticipantsLeave() async throws {
        let gateway = try Self.gateway(JanusConfiguration(sessionTimeout: .seconds(1)))
        let (session, handle) = try await Self.session(gateway)
        // The open gauges follow the gateway's own census.
        let open = { (kind: String) in
            gateway.counters.openCounts.first { $0.key.face == "janus" && $0.key.name == kind }?.value
        }
        #expect(open("sessions") == 1 && open("handles") == 1)
        _ = await Self.post(
            gateway,
            ["janus": "message", "transaction": "c", "body": ["request": "create", "room": 8]],
            session: session,
            handle: handle
        )
        let ack = await Self.post(
            gateway,
            [
                "janus": "message", "transaction": "j",
                "body": ["request": "join", "room": 8, "ptype": "publisher", "id": 11],
            ],
            session: session,
            handle: handle
        )
        #expect(ack["janus"] == "ack")
        // The join's event waits for a long poll, which takes it.
        let events = try await gateway.poll(session: session, maximum: 10)
        #expect(events.first?["plugindata"]?["data"]?["videoroom"] == "joined")
        await gateway.expireSessions(now: .now + .seconds(2))
        #expect(await gateway.census == .init(sessions: 0, handles: 0, publishers: 0, subscribers: 0))
        #expect(open("sessions") == 0 && open("handles") == 0)
        let gone = await Self.post(gateway, ["janus": "keepalive", "transaction": "k"], session: session)
        #expect(gone["error"]?["code"] == 458)
    }

    /// A plugin request on `handle` and its event (the long poll's, for requests Janus
    /// acknowledges first).
    static func event(
        _ gateway: JanusGateway,
        _ body: JSONValue,
        jsep: JSONValue? = nil,
        session: UInt64,
        handle: UInt64
    ) async throws -> JSONValue {
        var request: [String: JSONValue] = ["janus": "message", "transaction": "m", "body": body]
        if let jsep { request["jsep"] = jsep }
        let reply = await Self.post(gateway, .object(request), session: session, handle: handle)
        guard reply["janus"] == "ack" else { return reply }
        return try #require(try await gateway.poll(session: session, maximum: 1).first)
    }

    /// A second handle on `session`.
    static func attach(_ gateway: JanusGateway, session: UInt64) async throws -> UInt64 {
        let attached = await Self.post(
            gateway,
            ["janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "a"],
            session: session
        )
        return UInt64(try #require(attached["data"]?["id"]?.intValue))
    }

    static func fixture(_ name: String) throws -> String {
        try String(
            contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(name)"),
            encoding: .utf8
        )
    }

    /// A subscriber's answer to `offer`, receiving only.
    static func answer(to offer: String) throws -> String {
        let local = LocalTransportDescription(
            iceUfrag: "sub1",
            icePwd: "0123456789abcdefghijkl",
            fingerprint: Fingerprint(
                hashFunction: "sha-256",
                value: Array(repeating: "AB", count: 32).joined(separator: ":")
            ),
            candidates: [],
            isGatheringComplete: true
        )
        return try OfferAnswer(localDirection: .recvonly, codecLimit: nil).answer(
            try SessionDescription(parsing: offer),
            local: local,
            sessionID: "7"
        ).answer.sdp
    }

    /// Runs `body` with a `PublishedRoom`, then shuts its server down, whether `body`
    /// returns or throws: an ICE agent released unclosed traps, whenever the last task
    /// holding the gateway (a long poll's timeout, say) lets it go.
    static func withPublishedRoom(
        room: Int,
        codec: String,
        feed: Int,
        fixture: String,
        jsep: [String: JSONValue] = [:],
        _ body: (PublishedRoom) async throws -> Void
    ) async throws {
        let call = try await PublishedRoom(room: room, codec: codec, feed: feed, fixture: fixture, jsep: jsep)
        do {
            try await body(call)
        } catch {
            await call.gateway.server.shutdown()
            throw error
        }
        await call.gateway.server.shutdown()
    }

    /// A gateway with room `room` (of `codec`), where feed `feed` has published the offer
    /// in `fixture` (with `jsep`'s other fields), and a second handle for a subscriber.
    struct PublishedRoom {
        let gateway: JanusGateway
        let session: UInt64
        let publisher: UInt64
        let subscriber: UInt64
        /// The publisher's `configure` event.
        let configured: JSONValue

        init(room: Int, codec: String, feed: Int, fixture: String, jsep: [String: JSONValue] = [:]) async throws {
            self.gateway = try JanusGatewayTests.gateway()
            (self.session, self.publisher) = try await JanusGatewayTests.session(self.gateway)
            self.subscriber = try await JanusGatewayTests.attach(self.gateway, session: self.session)
            let (gateway, session, publisher) = (self.gateway, self.session, self.publisher)
            func event(_ body: JSONValue, jsep: JSONValue? = nil) async throws -> JSONValue {
                try await JanusGatewayTests.event(gateway, body, jsep: jsep, session: session, handle: publisher)
            }
            _ = try await event(["request": "create", "room": .number(Double(room)), "videocodec": .string(codec)])
            _ = try await event([
                "request": "join", "room": .number(Double(room)), "ptype": "publisher", "id": .number(Double(feed)),
            ])
            var offer: [String: JSONValue] = ["type": "offer", "sdp": .string(try JanusGatewayTests.fixture(fixture))]
            offer.merge(jsep) { _, new in new }
            self.configured = try await event(
                ["request": "configure", "audio": true, "video": true],
                jsep: .object(offer)
            )
        }

        /// A request of the subscriber's handle, and its event.
        func subscriberEvent(_ body: JSONValue, jsep: JSONValue? = nil) async throws -> JSONValue {
            try await JanusGatewayTests.event(
                self.gateway,
                body,
                jsep: jsep,
                session: self.session,
                handle: self.subscriber
            )
        }
    }

    /// A subscriber that joins with `substream` and `temporal` in its streams (Janus 1.x,
    /// and the load generator) gets those layers once its answer is in: the join offers
    /// the sections, the answer makes their consumers.
    @Test func layersAskedForAtJoinHoldOnceTheAnswerIsIn() async throws {
        try await Self.withPublishedRoom(
            room: 21,
            codec: "vp8",
            feed: 5,
            fixture: "chromium-156-offer-simulcast-3rid.sdp"
        ) { call in
            #expect(call.configured["jsep"]?["type"] == "answer")
            let joined = try await call.subscriberEvent([
                "request": "join", "room": 21, "ptype": "subscriber",
                "streams": [["feed": 5, "substream": 0, "temporal": 1]],
            ])
            #expect(joined["plugindata"]?["data"]?["videoroom"] == "attached", "\(joined)")
            let answer = try Self.answer(to: try #require(joined["jsep"]?["sdp"]?.stringValue))
            let started = try await call.subscriberEvent(
                ["request": "start"],
                jsep: ["type": "answer", "sdp": .string(answer)]
            )
            #expect(started["plugindata"]?["data"]?["started"] == "ok", "\(started)")
            let consumers = await call.gateway.server.describeRooms().flatMap(\.participants).flatMap(\.consumers)
            let video = try #require(consumers.first { $0.preferredSpatialLayer != nil })
            #expect(video.preferredSpatialLayer == 0 && video.preferredTemporalLayer == 1)
        }
    }

    /// janus.js publishing with `svc` names the section in the JSEP; as Janus 1.x, the
    /// publisher's streams then say `svc: true` and a subscriber's streams carry an `svc`
    /// object, for VP9 (and AV1) only.
    @Test func svcNamedInTheJSEPShowsInStreams() async throws {
        try await Self.withPublishedRoom(
            room: 22,
            codec: "vp9",
            feed: 6,
            fixture: "chromium-156-offer-audio-video.sdp",
            jsep: ["svc": [["mindex": 1, "mid": "1", "svc": "L3T3_KEY"], ["mindex": 9, "mid": "nope"], 7]]
        ) { call in
            let configured = call.configured
            let streams = try #require(configured["plugindata"]?["data"]?["streams"]?.arrayValue)
            #expect(streams.map { $0["svc"] } == [nil, true], "\(configured)")
            #expect(streams.last?["codec"] == "vp9")
            let joined = try await call.subscriberEvent([
                "request": "join", "room": 22, "ptype": "subscriber", "streams": [["feed": 6]],
            ])
            let offered = try #require(joined["plugindata"]?["data"]?["streams"]?.arrayValue)
            #expect(offered.first { $0["type"] == "video" }?["svc"]?["target-spatial-layer"] == 2, "\(joined)")
            #expect(offered.first { $0["type"] == "audio" }?["svc"] == nil)
        }
    }

    /// With `--recordings-root`, a `rec_dir` (or `new_rec_dir`) must stay under it, `..`
    /// included; without one, any folder goes, as in Janus.
    @Test func recordingFoldersStayUnderTheRecordingsRoot() async throws {
        let gateway = try Self.gateway(JanusConfiguration(recordingsRoot: "/srv/recordings"))
        let (session, handle) = try await Self.session(gateway)
        func create(_ room: Int, _ directory: String) async throws -> JSONValue {
            try await Self.event(
                gateway,
                ["request": "create", "room": .number(Double(room)), "record": true, "rec_dir": .string(directory)],
                session: session,
                handle: handle
            )
        }
        for (index, directory) in ["/tmp/x", "/srv/recordings/../etc", "/srv/recordingsX", "", "../up"].enumerated() {
            let refused = try await create(30 + index, directory)
            #expect(refused["plugindata"]?["data"]?["error_code"] == 430, "\(directory): \(refused)")
        }
        for (index, directory) in ["/srv/recordings/call-1", "call-2", "/srv/recordings"].enumerated() {
            let created = try await create(40 + index, directory)
            #expect(created["plugindata"]?["data"]?["videoroom"] == "created", "\(directory): \(created)")
        }
        let edited = try await Self.event(
            gateway,
            ["request": "edit", "room": 40, "new_rec_dir": "/etc"],
            session: session,
            handle: handle
        )
        #expect(edited["plugindata"]?["data"]?["error_code"] == 430)
        let open = try Self.gateway()
        let (openSession, openHandle) = try await Self.session(open)
        let anywhere = try await Self.event(
            open,
            ["request": "create", "room": 50, "record": true, "rec_dir": "/tmp/anywhere"],
            session: openSession,
            handle: openHandle
        )
        #expect(anywhere["plugindata"]?["data"]?["videoroom"] == "created")
    }
}
