// Fuzzes the codec payload parsers: VP8 and VP9 descriptors (and the picture-number
// positions a consumer renumbers at), H.264 and AV1 key-frame detection, the Opus TOC,
// the dependency descriptor (with its template structure).
// The first byte picks the parser; the rest is the payload.
import FuzzSupport
import RTP

/// Every field a consumer may renumber lies inside the descriptor that was parsed.
func checkPicturePositions(_ format: VideoPayloadFormat, _ payload: UnsafeRawBufferPointer, length: Int) {
    let layers = format.layers(ofPayload: payload)
    if layers.pictureIDIndex != 0 {
        let end = Int(layers.pictureIDIndex) + (layers.hasLongPictureID ? 2 : 1)
        precondition(end <= length, "picture id outside the descriptor")
    }
    if layers.tl0PictureIndexIndex != 0 {
        precondition(Int(layers.tl0PictureIndexIndex) < length, "TL0PICIDX outside the descriptor")
    }
}

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let payload = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    switch selector % 6 {
    case 0:
        if let descriptor = try? VP8PayloadDescriptor(validating: payload) {
            precondition(descriptor.length <= payload.count, "descriptor longer than payload")
            checkPicturePositions(.vp8, payload, length: descriptor.length)
        }
    case 1:
        if let descriptor = try? VP9PayloadDescriptor(validating: payload) {
            precondition(descriptor.length <= payload.count, "descriptor longer than payload")
            checkPicturePositions(.vp9, payload, length: descriptor.length)
            let layers = VideoPayloadFormat.vp9.layers(ofPayload: payload)
            precondition(layers.spatialLayer < 8 && layers.spatialLayer == descriptor.spatialLayer ?? 0, "SID")
            precondition(descriptor.resolutions.count <= 8, "more spatial layers than SID holds")
        }
    case 2: _ = try? H264KeyFrameDetector.isKeyFrame(payload)
    case 3: _ = try? AV1KeyFrameDetector.isKeyFrame(payload)
    case 4:
        if let structure = (try? DependencyDescriptor(validating: payload))?.structure {
            precondition(structure.templates.count <= 64, "more templates than ids")
            for id in 0..<UInt8(64) { _ = structure.template(id) }
        }
    default: _ = (try? OpusTOC(validating: payload))?.frameDuration
    }
}
