import Foundation
import TestSupport
import Testing

/// The `sfu` executable with aiortc (an independent WebRTC stack) on both ends, through
/// the native protocol, and 10 % of the video lost on each leg: the SFU repairs the
/// publisher's leg (NACK, RTX) and the subscriber's (retransmissions from its history).
/// See scripts/interop/aiortc_native_call.py. And a recording of a lossy publisher, and a
/// call through a graceful drain.
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

    struct RecordingOutcome: Decodable {
        struct Checks: Decodable {
            var one_webm: Bool?
            var codecs: [String]?
            var duration: Double?
            var decodes_cleanly: Bool?
        }

        struct Publisher: Decodable {
            var sent: Int
            var dropped: Int
        }

        var failure: String?
        var checks: Checks
        var publisher: Publisher?
        var sfu_nacks_sent_total: Double?
        var decoding_errors: String?
        var server_exit: Int?
    }

    /// aiortc publishes VP8 and Opus through the Janus face into a room created with
    /// `record: true`, losing 5 % of its audio and video before they leave it: the
    /// recording decodes with libvpx and libopus without an error, 10 ± 1.5 s long. See
    /// scripts/interop/aiortc_record_loss.py.
    @Test(.timeLimit(.minutes(2)))
    func aRecordingOfALossyPublisherDecodesWithoutAnError() throws {
        guard
            let outcome: RecordingOutcome = try BrowserCallTests.run(
                "scripts/interop/aiortc_record_loss.py",
                ["8360", "10", "0.05"]
            )
        else { return }
        print(
            "recording at 5 % loss: \(outcome.publisher?.dropped ?? 0) of \(outcome.publisher?.sent ?? 0) packets lost,",
            "\(outcome.sfu_nacks_sent_total ?? 0) NACKs, \(outcome.checks.duration ?? 0) s"
        )
        #expect(outcome.failure == nil)
        #expect((outcome.publisher?.dropped ?? 0) >= 10 && (outcome.sfu_nacks_sent_total ?? 0) >= 1)
        #expect(outcome.checks.one_webm == true && outcome.checks.codecs == ["opus", "vp8"])
        #expect(outcome.checks.decodes_cleanly == true, "\(outcome.decoding_errors ?? "")")
        #expect(abs((outcome.checks.duration ?? 0) - 10) <= 1.5)
        #expect(outcome.server_exit == 0)
    }

    struct DrainOutcome: Decodable {
        struct Checks: Decodable {
            var health_before: Int?
            var health_draining: [JSONScalar]?
            var late_join: String?
            var frames_while_draining: Int?
            var alive_while_draining: Bool?
            var exit_after_call_seconds: Double?
        }

        /// A string or a number, as `health_draining` holds both.
        enum JSONScalar: Decodable, Equatable {
            case number(Int)
            case text(String)

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) {
                    self = .number(number)
                } else {
                    self = .text(try container.decode(String.self))
                }
            }
        }

        var checks: Checks
        var failure: String?
        var server_exit: Int?
    }

    /// SIGTERM with `--drain-timeout 30` during an aiortc call through the native
    /// protocol: `/health` answers 503 `draining`, a new `join` is refused with
    /// `draining`, the subscriber decodes on, and once both leave the server exits 0
    /// within 5 s. See scripts/interop/aiortc_drain.py.
    @Test(.timeLimit(.minutes(2)))
    func aCallGoesOnThroughSIGTERMUntilItEnds() throws {
        guard let outcome: DrainOutcome = try BrowserCallTests.run("scripts/interop/aiortc_drain.py", ["8470"])
        else { return }
        let checks = outcome.checks
        print(
            "drain: \(checks.frames_while_draining ?? 0) frames in 3 s of draining; exit",
            "\(checks.exit_after_call_seconds ?? 0) s after the call; late join: \(checks.late_join ?? "-")"
        )
        #expect(outcome.failure == nil)
        #expect(checks.health_before == 200)
        #expect(checks.health_draining == [.number(503), .text("draining")])
        #expect(checks.late_join?.contains("'code': 'draining'") == true)
        #expect((checks.frames_while_draining ?? 0) >= 30)
        #expect(checks.alive_while_draining == true)
        #expect((checks.exit_after_call_seconds ?? 99) <= 5)
        #expect(outcome.server_exit == 0)
    }
}
