import Foundation
import TestSupport
import Testing

/// The whole server as people use it: the `sfu` executable, its demo page in headless
/// Chromium (fake camera and microphone), three participants in one room, inside a
/// private network namespace that has only `lo`. See scripts/browser/demo_call.py.
@Suite(.serialized) struct BrowserCallTests {
    struct Outcome: Decodable {
        struct Checks: Decodable {
            var frames_decoded_growth_min: Int?
            var frames_decoded_growth_after_bad_input: Int?
            var drops_counted: Double?
            var leave_seen: Bool?
            var room_closed_when_empty: Bool?
            var bad_signaling_replies: [String: String]?
        }

        var checks: Checks
        var failure: String?
        var server_exit: Int?
    }

    static var serverExecutable: String {
        ExternalProcess.repositoryRoot.appendingPathComponent(".build/debug/sfu").path
    }

    @Test(.timeLimit(.minutes(4)))
    func threeParticipantsSeeAndHearEachOtherThroughTheDemoPage() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.serverExecutable) else {
            Issue.record("build the server first: swift build (looked for \(Self.serverExecutable))")
            return
        }
        let output: String
        do {
            output = try ExternalProcess.pythonInPrivateNetwork(
                script: "scripts/browser/demo_call.py",
                arguments: [Self.serverExecutable, "8090", "3"]
            )
        } catch {
            Issue.record("the browser call failed: \(error)")
            return
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data(output.utf8))
        #expect(outcome.failure == nil)
        // Every participant decoded at least 30 new frames of each other in 4 s.
        #expect((outcome.checks.frames_decoded_growth_min ?? 0) >= 30)
        // The call went on through bad signaling and 12,000 random datagrams.
        #expect((outcome.checks.frames_decoded_growth_after_bad_input ?? 0) > 0)
        #expect((outcome.checks.drops_counted ?? 0) >= 5000)
        #expect(outcome.checks.bad_signaling_replies?["garbage_sdp"] == "negotiation_failed")
        #expect(outcome.checks.leave_seen == true)
        #expect(outcome.checks.room_closed_when_empty == true)
        #expect(outcome.server_exit == 0)
    }

    struct FirefoxOutcome: Decodable {
        struct Checks: Decodable {
            var frames_decoded_growth: [String: Int]?
            var leave_seen: Bool?
        }

        var checks: Checks
        var failure: String?
        var firefox: String?
        var server_exit: Int?
    }

    /// Firefox (ESR, from Debian) and Chromium in one call through the demo page: each
    /// decodes the other. See scripts/browser/firefox_call.py.
    @Test(.timeLimit(.minutes(3)))
    func firefoxAndChromiumSeeEachOtherThroughTheDemoPage() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.serverExecutable) else {
            Issue.record("build the server first: swift build (looked for \(Self.serverExecutable))")
            return
        }
        let output: String
        do {
            output = try ExternalProcess.pythonInPrivateNetwork(
                script: "scripts/browser/firefox_call.py",
                arguments: [Self.serverExecutable, "8091"]
            )
        } catch {
            Issue.record("the Firefox call failed: \(error)")
            return
        }
        let outcome = try JSONDecoder().decode(FirefoxOutcome.self, from: Data(output.utf8))
        #expect(outcome.failure == nil)
        #expect(outcome.firefox?.contains("Firefox/") == true)
        // Each decoded at least 30 new frames of the other in 4 s.
        #expect((outcome.checks.frames_decoded_growth?["chromium"] ?? 0) >= 30)
        #expect((outcome.checks.frames_decoded_growth?["firefox"] ?? 0) >= 30)
        #expect(outcome.checks.leave_seen == true)
        #expect(outcome.server_exit == 0)
    }
}
