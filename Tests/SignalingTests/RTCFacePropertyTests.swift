import Foundation
import SFU
import TestSupport
import Testing

@testable import Signaling

/// The RTC-server face on hostile input: mutations of every message the backend sends,
/// through the whole face (parser, calls, the routing core), each answered `Ack` or
/// `Error` with a known code; nothing traps, and cleaning up the calls that were made
/// leaves no room behind.
@Suite(.serialized) struct RTCFacePropertyTests {
    static let valid = [
        #"{"ref":"1","name":"InitCall","jsonData":"{\"callId\":\"c1\",\"participants\":[\"a\",\"b\"]}","userId":"a"}"#,
        #"{"ref":"2","name":"Join","jsonData":{"callId":"c1"},"userId":"b"}"#,
        #"{"ref":3,"name":"ReceiveVideoFrom","jsonData":{"callId":"c1","targetUserId":"a","sdpOffer":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"},"userId":"b"}"#,
        #"{"ref":"4","name":"OnIceCandidate","jsonData":{"callId":"c1","senderUserId":"a","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}},"userId":"b"}"#,
        #"{"ref":"5","name":"Leave","jsonData":"{\"callId\":\"c1\"}","userId":"b"}"#,
        #"{"ref":"6","name":"CleanupUser","jsonData":{"callId":"c1","userId":"a"},"userId":"a"}"#,
        #"{"ref":"7","name":"CleanupCall","jsonData":{"callId":"c1"},"userId":"a"}"#,
    ]

    static let codes: Set<String> = [
        "invalid_message", "message_too_large", "unknown_message", "missing_field", "unknown_call", "unknown_user",
        "call_exists", "not_in_call", "negotiation_failed", "invalid_candidate", "call_full",
    ]

    @Test func mutatedMessagesGetAnAckOrAnErrorWithACode() async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let face = RTCFace(server: server)
        var random = SplitMix64(seed: 0x0C_A1_1E)
        var (acks, errors) = (0, 0)
        for round in 0..<3_000 {
            var bytes = Array(Self.valid[round % Self.valid.count].utf8)
            if round % 3 != 0 { JSONMutation.mutate(&bytes, edits: 1...4, using: &random) }
            let (status, reply) = await face.handle(String(decoding: bytes, as: UTF8.self))
            if reply.name == "Ack" {
                acks += 1
                #expect(status == 200)
            } else {
                errors += 1
                #expect(reply.name == "Error" && status >= 400)
                let code = reply.data["code"]?.stringValue ?? ""
                #expect(Self.codes.contains(code), "unexpected code \(code)")
            }
        }
        #expect(acks > 300 && errors > 300, "acks \(acks), errors \(errors)")
        for call in await face.calls.calls.keys {
            _ = await face.handle(
                RTCMessage(ref: "x", name: "CleanupCall", data: ["callId": .string(call)], userID: "a").text
            )
        }
        #expect(await face.calls.calls.isEmpty)
        #expect(server.roomNames.isEmpty, "rooms left: \(server.roomNames)")
        await server.shutdown()
    }

    /// A draining server takes no new call and no new user: `draining`, 503; a call
    /// already made goes on (its users may leave).
    @Test func aDrainingServerRefusesNewCallsAndUsers() async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let face = RTCFace(server: server)
        func send(_ name: String, _ user: String, _ call: String) async -> (Int, String) {
            let (status, reply) = await face.handle(
                RTCMessage(ref: "r", name: name, data: ["callId": .string(call)], userID: user).text
            )
            return (status, reply.name == "Ack" ? "Ack" : reply.data["code"]?.stringValue ?? "")
        }
        #expect(await send("InitCall", "a", "c1") == (200, "Ack"))
        #expect(await send("Join", "a", "c1") == (200, "Ack"))
        server.startDraining()
        #expect(await send("InitCall", "a", "c2") == (503, "draining"))
        #expect(await send("Join", "b", "c1") == (503, "draining"))
        #expect(await send("Leave", "a", "c1") == (200, "Ack"))
        #expect(await send("CleanupCall", "a", "c1") == (200, "Ack"))
        await server.shutdown()
    }

    @Test func theEnvelopeKeepsJSONDataAsTextBothWays() throws {
        let message = RTCMessage(ref: "r", name: "IceCandidate", data: ["callId": "c"], userID: "u")
        let parsed = try RTCMessage(parsing: message.text)
        #expect(parsed == message)
        #expect(JSONValue.parse(message.text)?["jsonData"]?.stringValue == #"{"callId":"c"}"#)
        #expect(throws: RTCError.self) {
            try RTCMessage(parsing: #"{"ref":"1","name":"Join","jsonData":{},"userId":"a b"}"#)
        }
    }
}
