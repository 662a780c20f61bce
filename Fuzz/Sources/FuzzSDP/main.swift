// Fuzzes the SDP parser and every typed attribute accessor. A description that parses
// must write text that parses back to an equal description.
import Foundation
import SDP

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
        guard let description = try? SessionDescription(parsing: text) else { return 0 }
        _ = description.bundleMids
        for media in description.media {
            _ = (media.codecs, media.extensionMaps, media.candidates, media.ssrcs, media.ssrcGroups)
            _ = (media.rids, media.simulcast, media.msid, media.direction, media.sctpPort)
            _ = (
                description.iceCredentials(of: media), description.fingerprints(of: media), description.setup(of: media)
            )
        }
        guard let again = try? SessionDescription(parsing: description.sdp) else {
            preconditionFailure("written SDP must parse")
        }
        precondition(again == description, "SDP must round-trip")
        return 0
    }
)
