// Fuzzes the codec payload parsers: VP8 and VP9 descriptors, H.264 and AV1 key-frame
// detection, the Opus TOC. The first byte picks the parser; the rest is the payload.
import Foundation
import NIOCore
import RTP

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
        guard size > 0, let data else { return 0 }
        let payload = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
        switch data[0] % 5 {
        case 0:
            if let descriptor = try? VP8PayloadDescriptor(validating: payload) {
                precondition(descriptor.length <= payload.count, "descriptor longer than payload")
            }
        case 1:
            if let descriptor = try? VP9PayloadDescriptor(validating: payload) {
                precondition(descriptor.length <= payload.count, "descriptor longer than payload")
            }
        case 2: _ = try? H264KeyFrameDetector.isKeyFrame(payload)
        case 3: _ = try? AV1KeyFrameDetector.isKeyFrame(payload)
        default: _ = (try? OpusTOC(validating: payload))?.frameDuration
        }
        return 0
    }
)
