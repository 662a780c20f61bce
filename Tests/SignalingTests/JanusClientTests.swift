import Foundation
import TestSupport
import Testing

/// The Janus face as applications built for Janus use it: janus.js from Debian's
/// `libjs-janus-gateway` in headless Chromium, one publisher and two subscribers (one
/// over WebSocket, one over HTTP long polls). See scripts/janus/janusjs_call.py.
@Suite(.serialized) struct JanusClientTests {
    struct JanusJSChecks: Decodable {
        var room_created: Bool?
        var frames_decoded_growth: [String: Int]?
        var subscribers_saw_feed: Bool?
        var publisher_media_events: Int?
        var subscribers_told_of_leave: Bool?
        var page_errors: [String: [String]]?
        var janus_requests_counted: Bool?
    }

    @Test(.timeLimit(.minutes(3)))
    func janusJSPublisherAndTwoSubscribersInAVideoRoom() throws {
        guard
            let outcome: BrowserCallTests.ScriptOutcome<JanusJSChecks> = try BrowserCallTests.run(
                "scripts/janus/janusjs_call.py",
                ["8092"]
            )
        else {
            return
        }
        #expect(outcome.failure == nil)
        #expect(outcome.checks.room_created == true)
        // Each subscriber decoded at least 30 new frames of the publisher in 4 s.
        #expect((outcome.checks.frames_decoded_growth?["subscriber_ws"] ?? 0) >= 30)
        #expect((outcome.checks.frames_decoded_growth?["subscriber_http"] ?? 0) >= 30)
        #expect(outcome.checks.subscribers_saw_feed == true)
        // `media` events for the publisher's audio and video.
        #expect(outcome.checks.publisher_media_events == 2)
        #expect(outcome.checks.subscribers_told_of_leave == true)
        #expect(outcome.checks.page_errors?.values.allSatisfy(\.isEmpty) == true)
        #expect(outcome.checks.janus_requests_counted == true)
        #expect(outcome.server_exit == 0)
    }

    struct DifferentialOutcome: Decodable {
        struct Checks: Decodable {
            var swiftsfu_implicit_join: String?
            var janus_implicit_join_error: Int?
            var swiftsfu_subscriber_attached: String?
            var janus_subscriber_attached: String?
        }

        struct Difference: Decodable {
            var step: String
        }

        var checks: Checks
        var steps: Int
        var same_shape: Int
        var declared: [String: String]
        var unexpected: [Difference]
        var server_exit: Int?
    }

    /// The seed-002 request shapes (and bad input) replayed against a real Janus 1.1.2
    /// and against SwiftSFU in one namespace, with an aiortc publisher behind the offer:
    /// every reply and event has the same shape, except where SwiftSFU differs on
    /// purpose. See scripts/janus/differential.py.
    @Test(.timeLimit(.minutes(3)))
    func seedRequestsGetTheRepliesJanusGives() throws {
        guard let outcome: DifferentialOutcome = try BrowserCallTests.run("scripts/janus/differential.py", ["8093"])
        else { return }
        #expect(outcome.unexpected.map(\.step) == [])
        #expect(outcome.steps >= 50)
        #expect(outcome.same_shape + outcome.declared.count == outcome.steps)
        #expect(
            Set(outcome.declared.keys).isSubset(of: [
                "info", "implicit: create room (seed)", "implicit: join publisher (seed)",
            ])
        )
        // The seed's id-less requests: Janus refuses them, SwiftSFU serves them.
        #expect(outcome.checks.janus_implicit_join_error == 457)
        #expect(outcome.checks.swiftsfu_implicit_join == "joined")
        // Both let a subscriber attach to the live publisher.
        #expect(outcome.checks.janus_subscriber_attached == "attached")
        #expect(outcome.checks.swiftsfu_subscriber_attached == "attached")
        #expect(outcome.server_exit == 0)
    }
}
