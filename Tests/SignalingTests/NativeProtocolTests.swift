import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import SFU
import Signaling
import TestSupport
import Testing

/// The native protocol over real WebSockets: two clients in one room see each other come
/// and go, and bad requests fail alone, each with its code, counted in the metrics.
@Suite(.timeLimit(.minutes(1))) struct NativeProtocolTests {
    typealias Peer = WebSocketPeer

    func withServer(
        recordingsFolder: String? = nil,
        _ body: @escaping @Sendable (Int, MediaServer, SignalingCounters) async throws -> Void
    )
        async throws
    {
        let server = try MediaServer(configuration: .init(workers: 1))
        let counters = SignalingCounters()
        let native = NativeFace(server: server, counters: counters, recordingsFolder: recordingsFolder)
        try await WebSocketPeer.withListener(maximumFrameSize: NativeFace.maximumFrameSize) { router in
            native.addRoutes(to: router)
        } body: { port in
            try await body(port, server, counters)
        }
        await server.shutdown()
    }

    @Test func participantsSeeEachOtherJoinAndLeave() async throws {
        try await self.withServer { port, server, _ in
            let alice = Peer(port: port)
            let joined = await alice.request(["type": "join", "room": "r", "displayName": "Alice"])
            #expect(joined?["type"] == "joined")
            #expect(joined?["participants"] == .array([]))
            let aliceID = joined?["participantId"]?.stringValue

            let bob = Peer(port: port)
            let bobJoined = await bob.request(["type": "join", "room": "r", "displayName": "Bob"])
            let bobID = bobJoined?["participantId"]?.stringValue
            #expect(bobJoined?["participants"]?.arrayValue?.first?["id"]?.stringValue == aliceID)
            #expect(bobJoined?["participants"]?.arrayValue?.first?["displayName"] == "Alice")

            let seen = await alice.next { $0["type"] == "participantJoined" }
            #expect(seen?["participant"]?["id"]?.stringValue == bobID)
            #expect(seen?["participant"]?["displayName"] == "Bob")
            #expect(await server.statistics().participants == 2)

            // Bob's connection closes without a leave: Alice is told all the same.
            await bob.close()
            let left = await alice.next { $0["type"] == "participantLeft" }
            #expect(left?["participantId"]?.stringValue == bobID)

            #expect(await alice.request(["type": "leave"])?["type"] == "left")
            // The last one out closes a room that joining created.
            #expect(await server.statistics().rooms == 0)
            await alice.close()
        }
    }

    @Test func badRequestsFailAloneWithStableCodes() async throws {
        try await self.withServer { port, _, counters in
            let peer = Peer(port: port)
            let cases: [(String, String)] = [
                ("{", "invalid_json"),
                ("42", "invalid_message"),
                (#"{"id": 1}"#, "invalid_message"),
                (#"{"type": "teleport"}"#, "unknown_type"),
                (#"{"type": "publish", "sdp": "v=0"}"#, "not_joined"),
                (#"{"type": "join", "room": "\u0007bell"}"#, "invalid_room_name"),
                (#"{"type": "join", "room": "x", "pin": 1234}"#, "invalid_message"),
                (#"{"type": "join", "room": "nowhere", "create": false}"#, "unknown_room"),
            ]
            for (text, code) in cases {
                await peer.send(text)
                let reply = await peer.next { _ in true }
                #expect(reply?["type"] == "error", "\(text)")
                #expect(reply?["code"]?.stringValue == code, "\(text)")
                #expect(reply?["message"]?.stringValue?.isEmpty == false)
            }
            // The connection still works, and requests still succeed.
            #expect(await peer.request(["type": "ping"])?["type"] == "pong")
            #expect(await peer.request(["type": "join", "room": "ok"])?["type"] == "joined")
            #expect(await peer.request(["type": "join", "room": "ok"])?["code"] == "already_joined")
            #expect(await peer.request(["type": "publish", "sdp": "garbage"])?["code"] == "negotiation_failed")
            #expect(await peer.request(["type": "subscribe"])?["code"] == "negotiation_failed")
            #expect(await peer.request(["type": "mute", "muted": true, "track": "x:0"])?["code"] == "unknown_track")
            #expect(await peer.request(["type": "layers", "spatialLayer": 3])?["code"] == "invalid_message")
            #expect(
                await peer.request(["type": "layers", "mid": "9", "spatialLayer": 0])?["code"] == "negotiation_failed"
            )
            #expect(await peer.request(["type": "layers", "spatialLayer": 0])?["type"] == "ack")
            #expect(
                await peer.request(["type": "trickle", "target": "sideways", "candidate": nil])?["code"]
                    == "invalid_message"
            )
            #expect(counters.errors(face: "native", code: "invalid_json") == 1)
            #expect(counters.errors(face: "native", code: "negotiation_failed") == 3)
            await peer.close()
        }
    }

    @Test func aMessageOverOneMebibyteClosesTheConnectionAndIsCounted() async throws {
        try await self.withServer { port, _, counters in
            let peer = Peer(port: port)
            #expect(await peer.request(["type": "ping"])?["type"] == "pong")
            await peer.send(#"{"type":"ping","padding":""# + String(repeating: "x", count: 1_200_000) + #""}"#)
            #expect(await peer.next { _ in true }?["code"] == "message_too_large")
            // Then the server closes the connection.
            #expect(await peer.next { _ in true } == nil)
            for _ in 0..<100 where counters.errors(face: "native", code: "message_too_large") == 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(counters.errors(face: "native", code: "message_too_large") == 1)
        }
    }

    @Test func aPINKeepsOthersOut() async throws {
        try await self.withServer { port, server, _ in
            try await server.createRoom("locked", configuration: RoomConfiguration(pin: "1234"))
            let peer = Peer(port: port)
            #expect(await peer.request(["type": "join", "room": "locked"])?["code"] == "unauthorized")
            #expect(await peer.request(["type": "join", "room": "locked", "pin": "0000"])?["code"] == "unauthorized")
            #expect(await peer.request(["type": "join", "room": "locked", "pin": "1234"])?["type"] == "joined")
            await peer.close()
        }
    }

    /// `unsubscribe` stops sections of the receiving connection: its offer leaves them
    /// inactive, a later `subscribe` to every track leaves them out, and one that names
    /// a track offers it again in a new section.
    @Test func unsubscribingStopsASectionUntilTheTrackIsNamedAgain() async throws {
        try await self.withServer { port, _, counters in
            let alice = Peer(port: port)
            _ = await alice.request(["type": "join", "room": "u"])
            let offer = try String(
                contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent(
                    "Tests/Fixtures/chromium-156-offer-audio-video.sdp"
                ),
                encoding: .utf8
            )
            let published = await alice.request(["type": "publish", "sdp": .string(offer)])
            let tracks = published?["tracks"]?.arrayValue ?? []
            let video = try #require(tracks.first { $0["kind"] == "video" }?["id"]?.stringValue)
            let audio = try #require(tracks.first { $0["kind"] == "audio" }?["id"]?.stringValue)

            let bob = Peer(port: port)
            _ = await bob.request(["type": "join", "room": "u"])
            /// Each section's kind and direction, in order.
            func sections(_ reply: JSONValue?) -> [String] {
                let sdp = reply?["sdp"]?.stringValue ?? ""
                return sdp.components(separatedBy: "\r\nm=").dropFirst().map { section in
                    let kind = section.hasPrefix("video") ? "video" : "audio"
                    let direction = ["sendonly", "inactive", "sendrecv", "recvonly"].first {
                        section.contains("\r\na=\($0)\r\n")
                    }
                    return "\(kind) \(direction ?? "?")"
                }
            }
            /// Answers an offer as a receiving browser would; the tracks it then receives.
            func answer(_ offer: JSONValue?) async throws -> [String] {
                let sdp = try JanusGatewayTests.answer(to: try #require(offer?["sdp"]?.stringValue))
                let reply = await bob.request(["type": "answer", "sdp": .string(sdp)])
                return reply?["tracks"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            let all = await bob.request(["type": "subscribe"])
            #expect(sections(all) == ["audio sendonly", "video sendonly"])
            #expect(Set(try await answer(all)) == [audio, video])
            let stopped = await bob.request(["type": "unsubscribe", "tracks": [.string(video)]])
            #expect(stopped?["type"] == "offer")
            #expect(sections(stopped) == ["audio sendonly", "video inactive"])
            #expect(try await answer(stopped) == [audio])

            // Mistakes fail alone, with their codes.
            #expect(await bob.request(["type": "unsubscribe"])?["code"] == "invalid_message")
            #expect(await bob.request(["type": "unsubscribe", "tracks": []])?["code"] == "negotiation_failed")
            #expect(await bob.request(["type": "unsubscribe", "tracks": ["x:0"]])?["code"] == "unknown_track")
            #expect(
                await bob.request(["type": "unsubscribe", "tracks": [.string(video)]])?["code"] == "negotiation_failed"
            )
            #expect(counters.errors(face: "native", code: "negotiation_failed") == 2)

            // Every track: the one left stays left out. Named: a new section carries it.
            let everything = await bob.request(["type": "subscribe"])
            #expect(sections(everything) == ["audio sendonly", "video inactive"])
            #expect(try await answer(everything) == [audio])
            let again = await bob.request(["type": "subscribe", "tracks": [.string(video)]])
            #expect(sections(again) == ["audio sendonly", "video inactive", "video sendonly"])
            #expect(try await answer(again) == [audio, video])

            // Sections stop and go on without renegotiation; one takes another track.
            #expect(await bob.request(["type": "pause", "mids": ["2"]])?["type"] == "ack")
            #expect(await bob.request(["type": "pause", "mids": ["9"]])?["code"] == "negotiation_failed")
            #expect(await bob.request(["type": "resume"])?["type"] == "ack")
            #expect(await bob.request(["type": "switch", "mid": "2", "track": .string(video)])?["type"] == "ack")
            #expect(
                await bob.request(["type": "switch", "mid": "2", "track": .string(audio)])?["code"]
                    == "negotiation_failed"
            )
            #expect(await bob.request(["type": "switch", "mid": "2", "track": "x:1"])?["code"] == "unknown_track")
            #expect(await bob.request(["type": "switch", "mid": "2"])?["code"] == "invalid_message")
            let audioOnly = await bob.request(["type": "unsubscribe", "tracks": [.string(audio), .string(video)]])
            #expect(sections(audioOnly) == ["audio inactive", "video inactive", "video inactive"])
            await alice.close()
            await bob.close()
        }
    }

    /// `record` records every publisher of the room, those publishing now and those who
    /// publish later, and everyone is told who is recorded; `recording: false` stops.
    @Test func recordingTheRoomTellsEveryoneWhoIsRecorded() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("native-recordings-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await self.withServer(recordingsFolder: folder.path) { port, _, _ in
            let alice = Peer(port: port)
            let aliceID = await alice.request(["type": "join", "room": "rec/1"])?["participantId"]?.stringValue
            let bob = Peer(port: port)
            _ = await bob.request(["type": "join", "room": "rec/1"])
            #expect(await alice.request(["type": "record"])?["code"] == "invalid_message")
            #expect(await alice.request(["type": "record", "recording": true])?["type"] == "ack")
            // The room's folder is made, its name made safe for a file.
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("rec_1").path))
            let offer = try String(
                contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent(
                    "Tests/Fixtures/chromium-156-offer-audio-video.sdp"
                ),
                encoding: .utf8
            )
            #expect(await alice.request(["type": "publish", "sdp": .string(offer)])?["type"] == "published")
            let told = await bob.next { $0["type"] == "recording" }
            #expect(told?["participantId"]?.stringValue == aliceID && told?["recording"] == true)
            #expect(await bob.request(["type": "record", "recording": false])?["type"] == "ack")
            let stopped = await alice.next { $0["type"] == "recording" && $0["recording"] == false }
            #expect(stopped?["participantId"]?.stringValue == aliceID)
            // A room's name never climbs out of the recordings folder.
            #expect(Room.fileName("..") == "__" && Room.fileName("") == "_" && Room.fileName("a/../b") == "a_.._b")
            await alice.close()
            await bob.close()
        }
    }
}
