import RTP

/// Puts a track's packets, in sequence order, back into frames (RFC 7741 for VP8, RFC
/// 7587 for Opus): the payload descriptors stripped, a frame's packets joined, a frame
/// with a packet missing left out. Video frames after a loss are left out until the next
/// key frame (`needsKeyFrame` says so, for the recorder to ask the publisher).
struct FrameAssembler {
    let codec: RecordedCodec
    private var data: [UInt8] = []
    private var timestamp: UInt32?
    private var isKey = false
    private var isBroken = false
    /// After a loss, until a key frame starts.
    private(set) var needsKeyFrame = true

    init(codec: RecordedCodec) {
        self.codec = codec
    }

    /// Adds the next packet; `afterGap` when packets before it were lost. Returns the
    /// frame it completes.
    mutating func add(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        switch self.codec {
        case .opus:
            return packet.withPayloadBytes { payload -> RecordedFrame? in
                guard let toc = try? OpusTOC(validating: payload) else { return nil }
                let frames: Int64 =
                    switch toc.frameCountCode {
                    case 0: 1
                    case 1, 2: 2
                    default: payload.count > 1 ? Int64(payload[1] & 0x3F) : 1
                    }
                let duration =
                    toc.frameDuration.components.attoseconds / 1_000_000_000_000_000
                    + toc.frameDuration.components.seconds * 1_000
                return RecordedFrame(
                    data: Array(payload),
                    timestamp: packet.timestamp.rawValue,
                    isKey: true,
                    duration: duration * frames
                )
            }
        case .vp8:
            return self.addVP8(packet, afterGap: afterGap)
        case .vp9, .h264, .av1:
            return nil
        }
    }

    private mutating func addVP8(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        let timestamp = packet.timestamp.rawValue
        if afterGap {
            // Whatever was lost, the frames after it refer to it: wait for a key frame.
            self.isBroken = true
            self.needsKeyFrame = true
        }
        return packet.withPayloadBytes { payload -> RecordedFrame? in
            guard let descriptor = try? VP8PayloadDescriptor(validating: payload), descriptor.length < payload.count
            else { return nil }
            let body = payload[descriptor.length...]
            if descriptor.isStartOfPartition && descriptor.partitionIndex == 0 {
                self.data.removeAll(keepingCapacity: true)
                self.timestamp = timestamp
                self.isKey = body[body.startIndex] & 0x01 == 0
                self.isBroken = false
                if self.isKey { self.needsKeyFrame = false }
            } else if self.timestamp != timestamp {
                self.isBroken = true
            }
            guard !self.isBroken else { return nil }
            self.data.append(contentsOf: body)
            guard packet.marker else { return nil }
            self.timestamp = nil
            guard !self.needsKeyFrame else { return nil }
            var frame = RecordedFrame(data: self.data, timestamp: timestamp, isKey: self.isKey)
            if self.isKey, self.data.count >= 10, self.data[3] == 0x9D, self.data[4] == 0x01, self.data[5] == 0x2A {
                let width = Int(self.data[6]) | Int(self.data[7] & 0x3F) << 8
                let height = Int(self.data[8]) | Int(self.data[9] & 0x3F) << 8
                frame.size = (width, height)
            }
            return frame
        }
    }
}
