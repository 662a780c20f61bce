import Foundation
import TestSupport
import Testing

/// The `sfu` executable with aiortc (an independent WebRTC stack) on both ends, through
/// the native protocol, and 10 % of the video lost on each leg: the SFU repairs the
/// publisher's leg (NACK, RTX) and the subscriber's (retransmissions from its history).
/// See scripts/interop/aiortc_native_call.py.
@Suite(.serialized) struct AiortcCallTests {
    struct Outcome: Decodable {
        var failure: String?
        var server_exit: Int?
        var states: [String]?
        var frames: [String: Int]?
        var subscriber_rtx_negotiated: Bool?
        var publisher_dropped: Int?
        var subscriber_dropped: Int?
        var never_received: Int?
        var sfu_nacks_sent_total: Double?
        var sfu_repaired_packets_total: Double?
        var sfu_retransmitted_packets_total: Double?
    }

    @Test(.timeLimit(.minutes(2)))
    func aiortcPeersCallThroughTheNativeFaceAndLossIsRepaired() throws {
        guard
            let outcome: Outcome = try BrowserCallTests.run(
                "scripts/interop/aiortc_native_call.py",
                ["8092", "8", "0.1"]
            )
        else { return }
        #expect(outcome.failure == nil, "\(outcome)")
        #expect(outcome.states == ["connected", "connected"])
        // aiortc sends about 30 frames/s of each kind; the subscriber decodes them.
        #expect((outcome.frames?["video"] ?? 0) >= 80, "\(outcome)")
        #expect((outcome.frames?["audio"] ?? 0) >= 80, "\(outcome)")
        #expect(outcome.subscriber_rtx_negotiated == true)
        let publisherDropped = Double(outcome.publisher_dropped ?? 0)
        let subscriberDropped = Double(outcome.subscriber_dropped ?? 0)
        #expect(publisherDropped >= 5 && subscriberDropped >= 5, "\(outcome)")
        // Every packet lost on the way in was asked for and repaired, except perhaps the
        // last few, still under way when the counters were read.
        #expect((outcome.sfu_nacks_sent_total ?? 0) >= 1)
        #expect((outcome.sfu_repaired_packets_total ?? 0) >= publisherDropped - 3, "\(outcome)")
        #expect((outcome.sfu_retransmitted_packets_total ?? 0) >= subscriberDropped - 3, "\(outcome)")
        // Without repair, every dropped packet would be missing at the subscriber.
        #expect((outcome.never_received ?? .max) <= 2, "\(outcome)")
        #expect(outcome.server_exit == 0)
    }
}
