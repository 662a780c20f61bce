import Foundation
import TestSupport
import Testing

/// WebRTC stacks no one here wrote, each publishing to and subscribing from the `sfu`
/// executable over the Janus face and the native face: one publisher, then 20
/// subscribers set up one at a time and 20 at once, three times; every connection must
/// connect and receive media. See scripts/interop/matrix.py and docs/interop.md.
@Suite(.serialized) struct InteropMatrixTests {
    struct Checks: Decodable {
        struct Cell: Decodable {
            var peer: String
            var face: String
            var mode: String
            var variant: String
            var published: Bool
            var tried: Int
            var connected: Int
            var receiving: Int
            var failures: [String]
        }

        struct Totals: Decodable {
            var tried: Int
            var connected: Int
            var receiving: Int
            var failed_cells: Int
        }

        var cells: [Cell]
        var totals: [String: [String: Totals]]
        var tcp_only_without_ice_tcp_published: Bool?
    }

    static let peers = ["pion", "aiortc", "gstreamer", "chromium", "firefox"]

    @Test(.timeLimit(.minutes(30)))
    func everyPeerConnectsEveryTimeOverBothFaces() throws {
        guard
            let outcome: BrowserCallTests.ScriptOutcome<Checks> = try BrowserCallTests.run(
                "scripts/interop/matrix.py",
                ["8095", "--peers", Self.peers.joined(separator: ","), "--repeats", "3", "--lanes", "3"]
            )
        else { return }
        #expect(outcome.failure == nil)
        // The counts, for the CI log: connections made of those tried, per peer and face.
        for (peer, faces) in outcome.checks.totals.sorted(by: { $0.key < $1.key }) {
            for (face, totals) in faces.sorted(by: { $0.key < $1.key }) {
                print("interop matrix: \(peer) over \(face): \(totals.connected)/\(totals.tried) connected")
            }
        }
        for peer in Self.peers {
            for face in ["janus", "native"] {
                let totals = try #require(outcome.checks.totals[peer]?[face], "\(peer) over \(face) did not run")
                #expect(totals.failed_cells == 0, "\(peer) over \(face)")
                #expect(totals.connected == totals.tried, "\(peer) over \(face): \(totals)")
                // 3 × (20 one at a time + 20 at once) subscribers at least.
                #expect(totals.receiving >= 120, "\(peer) over \(face): \(totals)")
            }
        }
        for cell in outcome.checks.cells {
            #expect(cell.published && cell.receiving == cell.tried && cell.failures.isEmpty, "\(cell)")
        }
        // ICE-TCP is what connected the TCP-only cells: without --ice-tcp, nothing does.
        #expect(outcome.checks.cells.contains { $0.variant == "ice-tcp" && $0.receiving == $0.tried })
        #expect(outcome.checks.tcp_only_without_ice_tcp_published == false)
        #expect(outcome.server_exit == 0)
    }
}
