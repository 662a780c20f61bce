import Foundation
import TestSupport
import Testing

/// The Janus face as applications built for Janus use it: janus.js from Debian's
/// `libjs-janus-gateway` in headless Chromium, one publisher and two subscribers (one
/// over WebSocket, one over HTTP long polls). See scripts/janus/janusjs_call.py.
@Suite(.serialized) struct JanusClientTests {
    struct Outcome: Decodable {
        struct Checks: Decodable {
            var room_created: Bool?
            var frames_decoded_growth: [String: Int]?
            var subscribers_saw_feed: Bool?
            var publisher_media_events: Int?
            var subscribers_told_of_leave: Bool?
            var page_errors: [String: [String]]?
            var janus_requests_counted: Bool?
        }

        var checks: Checks
        var failure: String?
        var server_exit: Int?
    }

    @Test(.timeLimit(.minutes(3)))
    func janusJSPublisherAndTwoSubscribersInAVideoRoom() throws {
        guard let outcome: Outcome = try BrowserCallTests.run("scripts/janus/janusjs_call.py", ["8092"]) else {
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
}
