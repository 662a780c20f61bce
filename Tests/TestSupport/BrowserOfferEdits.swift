import Foundation

/// Chromium's offers as the browser itself changes them on a live connection, made from
/// a captured offer (Tests/Fixtures): what renegotiation tests send.
public enum BrowserOfferEdits {
    public struct MissingSection: Error {}

    /// The offer once a second video track was added (a screen share): the camera's
    /// section copied as mid 2 with SSRCs and a track id of its own, in the BUNDLE group,
    /// and the session version moved on.
    public static func addingScreenShare(to offer: String) throws -> String {
        guard let start = offer.range(of: "m=video") else { throw MissingSection() }
        let screen = String(offer[start.lowerBound...])
            .replacingOccurrences(of: "a=mid:1", with: "a=mid:2")
            .replacingOccurrences(of: "1883766780", with: "1111111111")
            .replacingOccurrences(of: "92896856", with: "2222222222")
            .replacingOccurrences(of: "ff4ee2d9-086e-4ebe-800b-cc2e7d5c89db", with: "screen-track")
        return (offer + screen).replacingOccurrences(of: "a=group:BUNDLE 0 1", with: "a=group:BUNDLE 0 1 2")
            .replacingOccurrences(of: "o=- 4619840956286686412 2", with: "o=- 4619840956286686412 3")
    }

    /// The offer once the camera's track was removed (`removeTrack`): its section (the
    /// first video one) only receives.
    public static func removingCamera(from offer: String) throws -> String {
        guard let start = offer.range(of: "m=video") else { throw MissingSection() }
        let rest = offer[start.upperBound...]
        let end = rest.range(of: "\r\nm=")?.lowerBound ?? rest.endIndex
        let camera = String(offer[start.lowerBound..<end]).replacingOccurrences(of: "a=sendrecv", with: "a=recvonly")
        return String(offer[..<start.lowerBound]) + camera + String(offer[end...])
    }
}
