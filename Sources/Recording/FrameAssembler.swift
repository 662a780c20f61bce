import RTP

/// Puts a track's packets, in sequence order, back into frames: the payload descriptors
/// stripped and a frame's packets joined (VP8, RFC 7741; VP9, RFC 9628; H.264, RFC 6184,
/// as Annex B with start codes; Opus, RFC 7587, one packet a frame). A frame with a packet
/// missing is left out, and so are the video frames after it until the next key frame
/// (`needsKeyFrame` says so, for the recorder to ask the publisher).
struct FrameAssembler {
    let codec: RecordedCodec
    private var data: [UInt8] = []
    private var timestamp: UInt32?
    private var isKey = false
    private var isBroken = false
    /// AV1: an OBU whose fragments are still coming.
    private var obu: [UInt8] = []
    /// VP9: a loss seen on a packet of a spatial layer not recorded, for the next one that is.
    private var pendingGap = false
    /// Until the first key frame, and after a loss until the next.
    private(set) var needsKeyFrame = true

    static let startCode: [UInt8] = [0, 0, 0, 1]

    init(codec: RecordedCodec) {
        self.codec = codec
    }

    /// Adds the next packet; `afterGap` when packets before it were lost. Returns the
    /// frame it completes.
    mutating func add(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        switch self.codec {
        case .opus: Self.opusFrame(packet)
        case .vp8: self.addVP8(packet, afterGap: afterGap)
        case .vp9: self.addVP9(packet, afterGap: afterGap)
        case .h264: self.addH264(packet, afterGap: afterGap)
        case .av1: self.addAV1(packet, afterGap: afterGap)
        }
    }

    private static func opusFrame(_ packet: RTPPacket) -> RecordedFrame? {
        packet.withPayloadBytes { payload -> RecordedFrame? in
            guard let toc = try? OpusTOC(validating: payload) else { return nil }
            let frames: Int64 =
                switch toc.frameCountCode {
                case 0: 1
                case 1, 2: 2
                default: payload.count > 1 ? Int64(payload[1] & 0x3F) : 1
                }
            let duration =
                toc.frameDuration.components.seconds * 1_000
                + toc.frameDuration.components.attoseconds / 1_000_000_000_000_000
            return RecordedFrame(
                data: Array(payload),
                timestamp: packet.timestamp.rawValue,
                isKey: true,
                duration: duration * frames
            )
        }
    }

    private mutating func addVP8(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        packet.withPayloadBytes { payload -> RecordedFrame? in
            guard let descriptor = try? VP8PayloadDescriptor(validating: payload), descriptor.length < payload.count
            else { return nil }
            let body = payload[descriptor.length...]
            let starts = descriptor.isStartOfPartition && descriptor.partitionIndex == 0
            self.begin(packet, afterGap: afterGap, starts: starts, isKey: body[body.startIndex] & 0x01 == 0)
            return self.append(body, ending: packet.marker)
        }
    }

    /// One spatial layer's frames: each frame from its B to its E, key when not
    /// inter-predicted. A stream in spatial layers (SVC) is recorded at its lowest: VP9
    /// decoders other than libvpx show every layer frame of a picture, so a file of whole
    /// pictures flickers between sizes in them (docs/decisions.md).
    private mutating func addVP9(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        packet.withPayloadBytes { payload -> RecordedFrame? in
            guard let descriptor = try? VP9PayloadDescriptor(validating: payload), descriptor.length < payload.count
            else { return nil }
            // The packet lost may have been of the lowest layer.
            guard (descriptor.spatialLayer ?? 0) == 0 else {
                self.pendingGap = self.pendingGap || afterGap
                return nil
            }
            defer { self.pendingGap = false }
            self.begin(
                packet,
                afterGap: afterGap || self.pendingGap,
                starts: descriptor.isBeginningOfFrame,
                isKey: !descriptor.isInterPredicted
            )
            return self.append(payload[descriptor.length...], ending: descriptor.isEndOfFrame || packet.marker)
        }
    }

    /// An access unit is every packet of one timestamp, up to the marker: single NAL
    /// units, STAP-A aggregates and FU-A fragments, each NAL unit after a start code. H.264
    /// marks no frame's start, so a frame after a gap is taken as broken.
    private mutating func addH264(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        packet.withPayloadBytes { payload -> RecordedFrame? in
            guard let header = payload.first else { return nil }
            let timestamp = packet.timestamp.rawValue
            if self.timestamp != timestamp { self.begin(packet, afterGap: false, starts: true, isKey: false) }
            if afterGap {
                self.isBroken = true
                self.needsKeyFrame = true
            }
            switch header & 0x1F {
            case 1...23:
                self.appendNALUnit(header: header, payload[1...])
            case H264KeyFrameDetector.stapA:
                var offset = 1
                while offset + 2 <= payload.count {
                    let size = Int(payload[offset]) << 8 | Int(payload[offset + 1])
                    offset += 2
                    guard size > 0, offset + size <= payload.count else {
                        self.isBroken = true
                        break
                    }
                    self.appendNALUnit(header: payload[offset], payload[(offset + 1)..<(offset + size)])
                    offset += size
                }
            case H264KeyFrameDetector.fuA:
                guard payload.count > 2 else {
                    self.isBroken = true
                    return nil
                }
                let fragment = payload[1]
                if fragment & 0x80 != 0 {
                    self.appendNALUnit(header: header & 0xE0 | fragment & 0x1F, payload[2...])
                } else if !self.data.isEmpty {
                    self.data.append(contentsOf: payload[2...])
                } else {
                    self.isBroken = true
                }
            default:
                // STAP-B, MTAP, FU-B: not sent by browsers.
                self.isBroken = true
            }
            guard packet.marker else { return nil }
            return self.finish()
        }
    }

    /// A temporal unit is every packet of one timestamp, up to the marker: its OBU
    /// elements, fragments joined, each OBU given its size field (the low-overhead format
    /// files hold). Key when it starts a coded video sequence (N) or holds a sequence
    /// header. Nothing marks a temporal unit's first packet, so one after a gap is taken
    /// as broken.
    private mutating func addAV1(_ packet: RTPPacket, afterGap: Bool) -> RecordedFrame? {
        packet.withPayloadBytes { payload -> RecordedFrame? in
            let timestamp = packet.timestamp.rawValue
            if self.timestamp != timestamp {
                self.begin(packet, afterGap: false, starts: true, isKey: false)
                self.obu.removeAll(keepingCapacity: true)
            }
            if afterGap {
                self.isBroken = true
                self.needsKeyFrame = true
            }
            guard let (continues, goesOn, startsSequence, elements) = AV1Bitstream.elements(of: payload[...]) else {
                self.isBroken = true
                return packet.marker ? self.finish() : nil
            }
            if startsSequence { self.isKey = true }
            for (index, element) in elements.enumerated() {
                // A fragment that continues nothing, or an OBU left unfinished: lost parts.
                if (index == 0 && continues) == self.obu.isEmpty {
                    self.isBroken = true
                    self.obu.removeAll(keepingCapacity: true)
                    if index == 0 && continues { continue }
                }
                self.obu.append(contentsOf: payload[element])
                if index == elements.count - 1 && goesOn { break }
                switch AV1Bitstream.appendLowOverhead(self.obu, to: &self.data) {
                case AV1Bitstream.OBUType.sequenceHeader.rawValue: self.isKey = true
                case nil: self.isBroken = true
                default: break
                }
                self.obu.removeAll(keepingCapacity: true)
            }
            guard packet.marker else { return nil }
            return self.finish()
        }
    }

    /// A NAL unit (its header byte, then its body) after a start code.
    private mutating func appendNALUnit(header: UInt8, _ body: Slice<UnsafeRawBufferPointer>) {
        if header & 0x1F == H264KeyFrameDetector.idrSlice { self.isKey = true }
        self.data += Self.startCode
        self.data.append(header)
        self.data.append(contentsOf: body)
    }

    /// Where a packet is in its frame: a loss before it breaks the chain of references;
    /// a packet that starts a frame starts over.
    private mutating func begin(_ packet: RTPPacket, afterGap: Bool, starts: Bool, isKey: Bool) {
        let timestamp = packet.timestamp.rawValue
        if afterGap {
            self.isBroken = true
            self.needsKeyFrame = true
        }
        if starts {
            self.data.removeAll(keepingCapacity: true)
            self.timestamp = timestamp
            self.isKey = isKey
            self.isBroken = false
        } else if self.timestamp != timestamp {
            self.isBroken = true
            self.needsKeyFrame = true
        }
    }

    private mutating func append(_ body: Slice<UnsafeRawBufferPointer>, ending: Bool) -> RecordedFrame? {
        guard !self.isBroken else { return nil }
        self.data.append(contentsOf: body)
        return ending ? self.finish() : nil
    }

    /// The frame in progress, when it is whole and decodes: a whole key frame ends the
    /// wait for one.
    private mutating func finish() -> RecordedFrame? {
        defer { self.timestamp = nil }
        guard let timestamp = self.timestamp, !self.isBroken, !self.data.isEmpty else {
            self.needsKeyFrame = true
            return nil
        }
        if self.isKey { self.needsKeyFrame = false }
        guard !self.needsKeyFrame else { return nil }
        var frame = RecordedFrame(data: self.data, timestamp: timestamp, isKey: self.isKey)
        if self.isKey { frame.size = Self.keyFrameSize(self.codec, self.data) }
        return frame
    }

    /// The picture size a key frame states: VP8's frame header (RFC 6386 §9.1), VP9's
    /// uncompressed header (profile 0 and 1: after the sync code, the color config, then
    /// the width and height less one, 16 bits each).
    static func keyFrameSize(_ codec: RecordedCodec, _ data: [UInt8]) -> (width: Int, height: Int)? {
        switch codec {
        case .vp8:
            guard data.count >= 10, data[3] == 0x9D, data[4] == 0x01, data[5] == 0x2A else { return nil }
            return (Int(data[6]) | Int(data[7] & 0x3F) << 8, Int(data[8]) | Int(data[9] & 0x3F) << 8)
        case .vp9:
            // frame_marker (2), profile (2), show_existing_frame, frame_type, show_frame,
            // error_resilient_mode: one byte; then the sync code 49 83 42.
            guard data.count >= 10, data[0] >> 6 == 2, data[1] == 0x49, data[2] == 0x83, data[3] == 0x42 else {
                return nil
            }
            let profile = (data[0] >> 5 & 1) | (data[0] >> 4 & 1) << 1
            guard profile < 2 else { return nil }
            // color_space (3), then color_range (1) unless sRGB; profile 1 adds the
            // subsampling bits (and a reserved bit).
            var bit = 32
            let colorSpace = Int(data[4] >> 5)
            bit += 3
            if colorSpace != 7 {
                bit += 1
                if profile == 1 { bit += 3 }
            } else if profile == 1 {
                bit += 1
            }
            var reader = BitReader(data, bit: bit)
            guard let width = reader.bits(16), let height = reader.bits(16) else { return nil }
            return (width + 1, height + 1)
        case .h264:
            return H264PictureSize.of(accessUnit: data)
        case .av1:
            return AV1Bitstream.pictureSize(in: data)
        case .opus:
            return nil
        }
    }
}
