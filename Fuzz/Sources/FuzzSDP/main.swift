// Fuzzes the SDP parser and every typed attribute accessor. A description that parses
// must write text that parses back to an equal description.
import FuzzSupport
import SDP

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let description = try? SessionDescription(parsing: text) else { return }
    _ = description.bundleMids
    for media in description.media {
        _ = (media.codecs, media.extensionMaps, media.candidates, media.ssrcs, media.ssrcGroups)
        _ = (media.rids, media.simulcast, media.msid, media.direction, media.sctpPort)
        _ = (description.iceCredentials(of: media), description.fingerprints(of: media), description.setup(of: media))
    }
    guard let again = try? SessionDescription(parsing: description.sdp) else {
        preconditionFailure("written SDP must parse")
    }
    precondition(again == description, "SDP must round-trip")
}
