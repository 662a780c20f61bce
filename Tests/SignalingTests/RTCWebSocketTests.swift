import Foundation
import SFU
import TestSupport
import Testing

@testable import Signaling

/// The RTC-server face over its WebSocket, `/rtc/ws`, as a backend with two nodes uses it:
/// each socket gets the replies to its own messages and every message the server sends;
/// bad frames get errors and the socket goes on; a closed socket gets nothing more.
@Suite(.timeLimit(.minutes(1))) struct RTCWebSocketTests {
    static func message(_ ref: String, _ name: String, _ user: String, _ data: [String: JSONValue]) -> String {
        JSONValue.object([
            "ref": .string(ref), "name": .string(name), "userId": .string(user),
            "jsonData": .string(JSONValue.object(data).text),
        ]).text
    }

    /// `jsonData` of a message from the server, parsed.
    static func data(_ message: JSONValue?) -> JSONValue? {
        message?["jsonData"]?.stringValue.flatMap(JSONValue.parse)
    }

    static func named(_ name: String, ref: String? = nil, user: String? = nil) -> @Sendable (JSONValue) -> Bool {
        { message in
            message["name"]?.stringValue == name && (ref == nil || message["ref"]?.stringValue == ref)
                && (user == nil || message["userId"]?.stringValue == user)
        }
    }

    @Test func aBackendDrivesACallOverTheWebSocket() async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let counters = SignalingCounters()
        let face = RTCFace(server: server, counters: counters)
        let offer = try String(
            contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent(
                "Tests/Fixtures/chromium-156-offer-audio-video.sdp"
            ),
            encoding: .utf8
        )
        try await WebSocketPeer.withListener(maximumFrameSize: 2 * RTCMessage.maximumSize) { router in
            face.addRoutes(to: router)
        } body: { port in
            let first = WebSocketPeer(port: port, path: "/rtc/ws")
            let second = WebSocketPeer(port: port, path: "/rtc/ws")
            #expect(await Polling.eventually(limit: .seconds(30)) { counters.openConnections["rtc"] == 2 })

            await first.send(Self.message("1", "InitCall", "alice", ["callId": "c-1", "participants": ["bob"]]))
            #expect(await first.next(where: Self.named("Ack", ref: "1")) != nil)
            let created = await second.next(where: Self.named("CallCreated", ref: "1"))
            #expect(Self.data(created)?["participants"] == ["alice", "bob"])
            #expect(counters.openCounts.first { $0.key.face == "rtc" && $0.key.name == "calls" }?.value == 1)

            for (ref, user) in [("2", "alice"), ("3", "bob")] {
                await first.send(Self.message(ref, "Join", user, ["callId": "c-1"]))
                #expect(await first.next(where: Self.named("Ack", ref: ref)) != nil)
            }
            let added = await second.next(where: Self.named("UserAdded", ref: "3", user: "alice"))
            #expect(Self.data(added)?["participants"] == ["alice", "bob"])

            // Alice publishes: the answer, with the server's host candidate (gathered
            // before it), reaches both sockets.
            await first.send(
                Self.message(
                    "4",
                    "ReceiveVideoFrom",
                    "alice",
                    ["callId": "c-1", "targetUserId": "alice", "sdpOffer": .string(offer)]
                )
            )
            #expect(await first.next(where: Self.named("Ack", ref: "4")) != nil)
            for socket in [first, second] {
                let answer = await socket.next(where: Self.named("ReceiveVideoAnswer", ref: "4", user: "alice"))
                let sdp = Self.data(answer)?["sdpAnswer"]?.stringValue ?? ""
                #expect(sdp.hasPrefix("v=0\r\n") && sdp.contains(" 127.0.0.1 "))
                #expect(Self.data(answer)?["targetUserId"] == "alice")
            }

            // Bad frames get errors with codes; the socket goes on.
            await second.sendBinary([0x7b, 0x7d])
            #expect(Self.data(await second.next(where: Self.named("Error")))?["code"] == "invalid_message")
            await second.send("not json")
            #expect(Self.data(await second.next(where: Self.named("Error")))?["code"] == "invalid_message")
            await second.send(Self.message("5", "Dance", "bob", ["callId": "c-1"]))
            #expect(Self.data(await second.next(where: Self.named("Error", ref: "5")))?["code"] == "unknown_message")
            await second.send(Self.message("6", "Join", "carol", ["callId": "c-404"]))
            #expect(Self.data(await second.next(where: Self.named("Error", ref: "6")))?["code"] == "unknown_call")
            // An oversized message is answered, then the server closes that socket; the
            // first gets what follows alone.
            await second.send(String(repeating: "x", count: RTCMessage.maximumSize + 1))
            #expect(Self.data(await second.next(where: Self.named("Error")))?["code"] == "message_too_large")
            #expect(await Polling.eventually(limit: .seconds(30)) { counters.openConnections["rtc"] == 1 })
            await first.send(Self.message("7", "Leave", "bob", ["callId": "c-1"]))
            let removed = await first.next(where: Self.named("UserRemoved", ref: "7", user: "alice"))
            #expect(Self.data(removed)?["participants"] == ["alice"])

            await first.send(Self.message("8", "CleanupCall", "alice", ["callId": "c-1"]))
            #expect(await first.next(where: Self.named("Ack", ref: "8")) != nil)
            #expect(counters.openCounts.first { $0.key.face == "rtc" && $0.key.name == "calls" }?.value == 0)
            let statistics = await server.statistics()
            #expect(statistics.rooms == 0 && statistics.participants == 0)
            let metrics = MetricsExposition.render(statistics, signaling: counters, workers: 1)
            #expect(metrics.contains("sfu_signaling_open{face=\"rtc\",kind=\"calls\"} 0\n"))
            #expect(metrics.contains("sfu_signaling_errors_total{face=\"rtc\",code=\"message_too_large\"} 1\n"))
            await first.close()
        }
        await server.shutdown()
    }
}
