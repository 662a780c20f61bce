// Fuzzes the codec payload parsers: VP8 and VP9 descriptors, H.264 and AV1 key-frame
// detection, the Opus TOC. The first byte picks the parser; the rest is the payload.
import FuzzSupport
import RTP

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let payload = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    switch selector % 5 {
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
}
