import Foundation

/// Reads a capture from `Tests/Fixtures/`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
    }

    static let chromiumOffers = [
        "chromium-156-offer-audio-video.sdp",
        "chromium-156-offer-audio-video-gathered.sdp",
        "chromium-156-offer-audio-video-datachannel.sdp",
        "chromium-156-offer-recvonly.sdp",
        "chromium-156-offer-simulcast-3rid.sdp",
    ]

    /// Every capture: the Chromium offers, Firefox's (scripts/capture/firefox_offer.py),
    /// aiortc's (scripts/capture/aiortc_offer.py) and Janus's offer to a streaming viewer
    /// (scripts/capture/janus_offer.sh).
    static let allOffers =
        Self.chromiumOffers + [
            "firefox-153-offer-audio-video-max-bundle.sdp",
            "aiortc-1.16-offer-audio-video.sdp",
            "janus-1.1.2-offer-streaming.sdp",
        ]
}
