import Foundation
import SDP
import SFU
import TestSupport
import Testing

@testable import Signaling

/// Renegotiation through the Janus face, as janus.js sends it: a publisher's `configure`
/// with a new offer on its live handle adds a screen share, then removes its camera (the
/// subscriber gets an `updated` offer without it); an offer that would change the
/// connection is refused with 437 and the feed goes on as it was.
@Suite(.serialized) struct JanusRenegotiationTests {
    /// Posts a plugin request of the publisher's handle and polls the session's events
    /// until the one that answers it (its transaction); returns it with the others seen.
    static func answered(
        _ call: JanusGatewayTests.PublishedRoom,
        _ body: JSONValue,
        jsep: JSONValue? = nil
    ) async throws -> (reply: JSONValue, others: [JSONValue]) {
        var request: [String: JSONValue] = ["janus": "message", "transaction": "r", "body": body]
        if let jsep { request["jsep"] = jsep }
        let ack = await JanusGatewayTests.post(
            call.gateway,
            .object(request),
            session: call.session,
            handle: call.publisher
        )
        guard ack["janus"] == "ack" else { return (ack, []) }
        var others: [JSONValue] = []
        for _ in 0..<10 {
            for event in try await call.gateway.poll(session: call.session, maximum: 10) {
                if event["transaction"] == "r" { return (event, others) }
                others.append(event)
            }
        }
        throw NoReply()
    }

    struct NoReply: Error {}

    @Test func aLivePublisherAddsAScreenShareAndDropsItsCameraAndBadOffersAreRefused() async throws {
        try await JanusGatewayTests.withPublishedRoom(
            room: 31,
            codec: "vp8",
            feed: 9,
            fixture: "chromium-156-offer-audio-video.sdp"
        ) { call in
            let first = try JanusGatewayTests.fixture("chromium-156-offer-audio-video.sdp")
            let joined = try await call.subscriberEvent([
                "request": "join", "room": 31, "ptype": "subscriber", "streams": [["feed": 9]],
            ])
            let answer = try JanusGatewayTests.answer(to: try #require(joined["jsep"]?["sdp"]?.stringValue))
            _ = try await call.subscriberEvent(["request": "start"], jsep: ["type": "answer", "sdp": .string(answer)])

            // The screen share: a third stream, the others untouched.
            let shared = try await Self.answered(
                call,
                ["request": "configure"],
                jsep: ["type": "offer", "sdp": .string(try BrowserOfferEdits.addingScreenShare(to: first))]
            )
            let streams = try #require(shared.reply["plugindata"]?["data"]?["streams"]?.arrayValue, "\(shared.reply)")
            #expect(streams.map { $0["mid"] } == ["0", "1", "2"])
            let sdp = try #require(shared.reply["jsep"]?["sdp"]?.stringValue)
            #expect(try SessionDescription(parsing: sdp).media.count == 3)
            func producers() async -> [String] {
                await call.gateway.server.describeRooms().flatMap(\.participants).flatMap(\.producers).map(\.track.id)
                    .sorted()
            }
            #expect(await producers() == ["9:0", "9:1", "9:2"])

            // An offer that moves the BUNDLE tag: refused, the feed as it was.
            let moved = try BrowserOfferEdits.addingScreenShare(to: first)
                .replacingOccurrences(of: "a=group:BUNDLE 0 1 2", with: "a=group:BUNDLE 1 0 2")
            let refused = try await Self.answered(
                call,
                ["request": "configure"],
                jsep: ["type": "offer", "sdp": .string(moved)]
            )
            #expect(refused.reply["plugindata"]?["data"]?["error_code"] == 437, "\(refused.reply)")
            #expect(await producers() == ["9:0", "9:1", "9:2"])

            // The camera goes: the subscriber, which received it, gets an offer without it.
            let withoutCamera = try BrowserOfferEdits.removingCamera(
                from: BrowserOfferEdits.addingScreenShare(to: first)
            )
            let dropped = try await Self.answered(
                call,
                ["request": "configure"],
                jsep: ["type": "offer", "sdp": .string(withoutCamera)]
            )
            #expect(
                dropped.reply["plugindata"]?["data"]?["streams"]?.arrayValue?.map { $0["mid"] } == ["0", "2"],
                "\(dropped.reply)"
            )
            #expect(await producers() == ["9:0", "9:2"])
            let updated = try #require(
                dropped.others.first { $0["plugindata"]?["data"]?["videoroom"] == "updated" },
                "\(dropped.others)"
            )
            let offered = try #require(updated["plugindata"]?["data"]?["streams"]?.arrayValue)
            #expect(offered.map { $0["feed_mid"] } == ["0"])
            #expect(updated["jsep"]?["type"] == "offer")
        }
    }
}
