import NIOCore
import RTP
import Testing

@Suite struct VP8PayloadDescriptorTests {
    /// X=1 S=1 PID=0 | I=1 L=1 T=1 K=0 | M=1 PictureID 0x1234 | TL0PICIDX 5 | TID=2 Y=1 | VP8 key frame
    static let keyFrame: [UInt8] = [0x90, 0xE0, 0x92, 0x34, 0x05, 0xA0, 0x10, 0x02, 0x00]

    @Test func parsesAllFieldsAndDetectsKeyFrame() throws {
        let d = try Self.keyFrame.withUnsafeBytes { try VP8PayloadDescriptor(validating: $0) }
        #expect(d.isStartOfPartition && d.partitionIndex == 0)
        #expect(d.pictureID == 0x1234 && d.hasLongPictureID)
        #expect(d.tl0PictureIndex == 5)
        #expect(d.temporalLayer == 2 && d.layerSync)
        #expect(d.keyIndex == nil)
        #expect(d.length == 6)
        #expect(d.isKeyFrame)
    }

    @Test func interFrameAndContinuationAreNotKeyFrames() throws {
        var inter = Self.keyFrame
        inter[6] = 0x11  // P bit set in the VP8 payload header
        #expect(try !inter.withUnsafeBytes { try VP8PayloadDescriptor(validating: $0) }.isKeyFrame)
        var continuation = Self.keyFrame
        continuation[0] = 0x80  // S=0
        #expect(try !continuation.withUnsafeBytes { try VP8PayloadDescriptor(validating: $0) }.isKeyFrame)
        let minimal: [UInt8] = [0x10, 0x00]  // no extension, key frame
        let d = try minimal.withUnsafeBytes { try VP8PayloadDescriptor(validating: $0) }
        #expect(d.isKeyFrame && d.pictureID == nil && d.length == 1)
    }

    @Test(arguments: [[], [0x80], [0x90, 0x80], [0x90, 0x80, 0x81], [0x90, 0x40], [0x90, 0x20]] as [[UInt8]])
    func rejectsTruncatedDescriptors(bytes: [UInt8]) {
        #expect(throws: CodecParseError.self) { try bytes.withUnsafeBytes { try VP8PayloadDescriptor(validating: $0) } }
    }

    @Test func picturePositionsLetACopyBeRenumbered() throws {
        var out = ByteBuffer()
        RTPHeader(payloadType: 96, sequenceNumber: SequenceNumber(1), timestamp: RTPTimestamp(1), ssrc: 1)
            .write(into: &out, payload: ByteBuffer(bytes: Self.keyFrame))
        let packet = try RTPPacket(validating: out)
        var layers = VideoPayloadFormat.vp8.layers(of: packet)
        #expect(layers.temporalLayer == 2 && layers.isLayerSync && layers.isKeyFrame && layers.startsFrame)
        layers.pictureID = 0x7FFF
        layers.tl0PictureIndex = 200
        var copy = ByteBuffer()
        packet.write(into: &copy)
        layers.writePictureNumbers(into: &copy, payloadStart: copy.writerIndex - packet.payloadLength)
        let rewritten = try VP8PayloadDescriptor(validating: RTPPacket(validating: copy))
        #expect(rewritten.pictureID == 0x7FFF && rewritten.hasLongPictureID)
        #expect(rewritten.tl0PictureIndex == 200)
        #expect(rewritten.temporalLayer == 2 && rewritten.layerSync && rewritten.isKeyFrame)
    }
}

@Suite struct VP9PayloadDescriptorTests {
    @Test func detectsKeyFrameInNonFlexibleMode() throws {
        // I=1 P=0 L=1 F=0 B=1 E=0 V=1 | M=0 pid 5 | TID=0 U=0 SID=0 D=0 | TL0PICIDX 3
        // | SS: N_S=0 Y=1 G=0 | 640×480
        let bytes: [UInt8] = [0xAA, 0x05, 0x00, 0x03, 0x10, 0x02, 0x80, 0x01, 0xE0]
        let d = try bytes.withUnsafeBytes { try VP9PayloadDescriptor(validating: $0) }
        #expect(d.isKeyFrame)
        #expect(d.pictureID == 5 && d.tl0PictureIndex == 3 && d.spatialLayer == 0)
        #expect(d.resolutions.count == 1 && d.resolutions[0].width == 640 && d.resolutions[0].height == 480)
        #expect(d.length == bytes.count)
    }

    @Test func flexibleModeInterFrameReadsReferenceDiffs() throws {
        // I=1 P=1 L=1 F=1 B=1 | M=1 pid 0x0102 | TID=1 U=1 SID=1 D=1 | P_DIFF 1 (N=1), P_DIFF 2 (N=0)
        let bytes: [UInt8] = [0xF8, 0x81, 0x02, 0x33, 0x03, 0x04]
        let d = try bytes.withUnsafeBytes { try VP9PayloadDescriptor(validating: $0) }
        #expect(!d.isKeyFrame)
        #expect(d.pictureID == 0x0102 && d.temporalLayer == 1 && d.spatialLayer == 1 && d.isInterLayerDependent)
        #expect(d.referenceDifferences == [1, 2])
        #expect(d.tl0PictureIndex == nil)
    }

    @Test(arguments: [[], [0x80], [0xA0], [0x20, 0x00], [0x52, 0x00], [0x02, 0x10, 0x01]] as [[UInt8]])
    func rejectsTruncatedDescriptors(bytes: [UInt8]) {
        #expect(throws: CodecParseError.self) { try bytes.withUnsafeBytes { try VP9PayloadDescriptor(validating: $0) } }
    }
}

@Suite struct H264KeyFrameDetectorTests {
    @Test(
        arguments: [
            ([0x65, 0x88], true),  // single NAL: IDR slice
            ([0x67, 0x42], true),  // single NAL: SPS
            ([0x41, 0x9A], false),  // single NAL: non-IDR slice
            ([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE], true),  // STAP-A: SPS, PPS
            ([0x78, 0x00, 0x01, 0x41], false),  // STAP-A: non-IDR
            ([0x7C, 0x85, 0x88], true),  // FU-A start of IDR
            ([0x7C, 0x05, 0x88], false),  // FU-A middle of IDR
            ([0x7C, 0x81, 0x9A], false),  // FU-A start of non-IDR
        ] as [([UInt8], Bool)]
    )
    func detects(bytes: [UInt8], isKeyFrame: Bool) throws {
        #expect(try bytes.withUnsafeBytes { try H264KeyFrameDetector.isKeyFrame($0) } == isKeyFrame)
    }

    @Test(arguments: [[], [0x78, 0x00], [0x78, 0x00, 0x05, 0x67], [0x78, 0x00, 0x00], [0x7C]] as [[UInt8]])
    func rejectsMalformed(bytes: [UInt8]) {
        #expect(throws: CodecParseError.self) { try bytes.withUnsafeBytes { try H264KeyFrameDetector.isKeyFrame($0) } }
    }
}

@Suite struct AV1AndOpusTests {
    @Test(
        arguments: [
            ([0x18, 0x0A], true),  // N=1: new coded video sequence
            ([0x10, 0x0A], true),  // W=1, first OBU is a sequence header (type 1)
            ([0x00, 0x05, 0x32], false),  // W=0, length 5, frame OBU (type 6)
            ([0x00, 0x05, 0x0A], true),  // W=0, length 5, sequence header
            ([0x90, 0x0A], false),  // Z=1: continuation
        ] as [([UInt8], Bool)]
    )
    func detectsAV1KeyFrames(bytes: [UInt8], isKeyFrame: Bool) throws {
        #expect(try bytes.withUnsafeBytes { try AV1KeyFrameDetector.isKeyFrame($0) } == isKeyFrame)
    }

    @Test func readsOpusTOC() throws {
        let toc = OpusTOC(0xFC)  // config 31 (CELT FB 20 ms), stereo, code 0
        #expect(toc.configuration == 31 && toc.isStereo && toc.frameCountCode == 0)
        #expect(toc.mode == .celt && toc.frameDuration == .milliseconds(20))
        #expect(OpusTOC(0x78).mode == .hybrid)  // config 15
        #expect(OpusTOC(0x08).frameDuration == .milliseconds(20))  // config 1: SILK NB 20 ms
        #expect([UInt8]([0xFC]).withUnsafeBytes { OpusTOC.isDTX($0) })
        #expect(![UInt8](repeating: 1, count: 60).withUnsafeBytes { OpusTOC.isDTX($0) })
        #expect(throws: CodecParseError.emptyPayload) { try [UInt8]().withUnsafeBytes { try OpusTOC(validating: $0) } }
    }
}

@Suite struct DependencyDescriptorTests {
    /// Chromium 156's descriptor on the first packet of a VP8 key frame of one simulcast
    /// encoding in three temporal layers (L1T3), with its template structure.
    static let keyFrame: [UInt8] = [
        0xC0, 0x00, 0x01, 0x80, 0x02, 0x04, 0x4E, 0xAA, 0xAF, 0x28, 0x60, 0x41, 0x4D, 0x34, 0x53, 0x8A, 0x09, 0x40,
        0x40, 0x4F, 0xC0, 0x2C, 0xC0,
    ]

    @Test func chromiumsL1T3StructureGivesEachTemplateItsTemporalLayer() throws {
        let descriptor = try Self.keyFrame.withUnsafeBytes { try DependencyDescriptor(validating: $0) }
        #expect(descriptor.startsFrame && descriptor.endsFrame && descriptor.frameNumber == 1)
        let structure = try #require(descriptor.structure)
        #expect(structure.templates.allSatisfy { $0.spatialLayer == 0 })
        #expect(Set(structure.templates.map(\.temporalLayer)) == [0, 1, 2])
        // The key frame's template (id 0) is the base layer; the frames Chromium sends
        // with template 5 (right after a base frame) are in layer 2.
        #expect(structure.template(descriptor.templateID)?.temporalLayer == 0)
        #expect(structure.template(5)?.temporalLayer == 2)
        #expect(structure.template(63) == nil)
        // The structure ends with the encoding's picture size.
        #expect(structure.resolutions == [FrameSize(width: 320, height: 180)])
    }

    /// An L2T1 structure as an AV1 SVC encoder writes one, with a chain per spatial layer
    /// (read past) and each layer's size at the end.
    @Test func aStructureWithChainsStatesEachSpatialLayersSize() throws {
        var bits: [Bool] = []
        func write(_ value: Int, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) { bits.append(value >> shift & 1 == 1) }
        }
        write(0b10000, 5)  // structure present; no active targets, custom DTIs, fdiffs, chains
        write(0, 6)  // template id offset
        write(1, 5)  // two decode targets
        write(2, 2)  // templates: (0, 0), then the next spatial layer (1, 0), then the end
        write(3, 2)
        write(0b1111, 4)  // DTIs: template 0 required in both targets
        write(0b0011, 4)  // template 1 only in the second
        write(0, 1)  // template 0: no fdiffs
        write(0b1_0000_0, 6)  // template 1: one fdiff (1), none after
        // ns(3) for two chains: values below 1 in one bit, the others in two; then ns(2)
        // for each target's chain, in one bit.
        write(0b11, 2)  // two chains
        write(0, 1)  // target 0 protected by chain 0
        write(1, 1)  // target 1 by chain 1
        write(0, 8)  // template chain fdiffs, 4 bits per chain
        write(0, 8)
        write(1, 1)  // resolutions present
        write(639, 16)
        write(359, 16)
        write(1279, 16)
        write(719, 16)
        var bytes: [UInt8] = [0xC0, 0x00, 0x01]
        for start in stride(from: 0, to: bits.count, by: 8) {
            let chunk = bits[start..<min(start + 8, bits.count)]
            bytes.append(chunk.enumerated().reduce(0) { $0 | ($1.element ? 0x80 >> $1.offset : 0) })
        }
        let structure = try #require(try bytes.withUnsafeBytes { try DependencyDescriptor(validating: $0) }.structure)
        #expect(structure.templates.map(\.spatialLayer) == [0, 1])
        #expect(structure.resolutions == [FrameSize(width: 640, height: 360), FrameSize(width: 1280, height: 720)])
        // Cut inside the sizes, it is refused rather than read short.
        #expect(throws: CodecParseError.self) {
            try Array(bytes.dropLast(3)).withUnsafeBytes { try DependencyDescriptor(validating: $0) }
        }
    }

    @Test(arguments: [[], [0x80, 0x00], [0x80, 0x00, 0x01, 0x80], [0x80, 0x00, 0x01, 0x80, 0x02, 0x04, 0x4E]])
    func truncatedStructuresAreRejected(bytes: [UInt8]) {
        #expect(throws: CodecParseError.self) { try bytes.withUnsafeBytes { try DependencyDescriptor(validating: $0) } }
    }

    @Test func aPacketReadsItsLayersThroughTheStreamsLastStructure() throws {
        var structure: FrameDependencyStructure?
        func layers(_ descriptor: [UInt8]) throws -> PacketLayers {
            var buffer = ByteBuffer()
            RTPHeader(
                payloadType: 96,
                sequenceNumber: SequenceNumber(1),
                timestamp: RTPTimestamp(1),
                ssrc: 1,
                extensions: [RTPHeaderExtensionElement(id: 12, value: descriptor)]
            ).write(into: &buffer, payload: ByteBuffer(bytes: [0x10, 0x01]))
            var layers = PacketLayers()
            try RTPPacket(validating: buffer).readDependencyDescriptor(id: 12, structure: &structure, into: &layers)
            return layers
        }
        // Before any structure, nothing is known.
        #expect(try layers([0xC5, 0x00, 0x02]).temporalLayer == 0)
        #expect(try layers(Self.keyFrame).temporalLayer == 0)
        let next = try layers([0xC5, 0x00, 0x02])
        #expect(next.temporalLayer == 2 && next.startsFrame)
        // Its spatial layer (AV1 SVC's layers are told only here) and the end of its
        // layer frame, where a consumer that forwards no higher layer ends the picture.
        #expect(next.spatialLayer == 0 && next.endsLayerFrame)
        let middle = try layers([0x05, 0x00, 0x02])
        #expect(!middle.startsFrame && !middle.endsLayerFrame)
    }
}

@Suite struct KeyFrameSizeTests {
    @Test func aVP8KeyFrameStatesItsSize() throws {
        // Descriptor (S), frame tag (key frame), start code, 1280 and 720 little-endian
        // with the scaling bits set (they are not part of the size).
        let payload: [UInt8] = [0x10, 0x50, 0x42, 0x00, 0x9D, 0x01, 0x2A, 0x00, 0x45, 0xD0, 0x42, 0x00]
        var buffer = ByteBuffer()
        RTPHeader(payloadType: 96, sequenceNumber: SequenceNumber(1), timestamp: RTPTimestamp(1), ssrc: 1)
            .write(into: &buffer, payload: ByteBuffer(bytes: payload))
        let packet = try RTPPacket(validating: buffer)
        #expect(VideoPayloadFormat.vp8.keyFrameSize(of: packet) == FrameSize(width: 1280, height: 720))
        #expect(VideoPayloadFormat.h264.keyFrameSize(of: packet) == nil)
        // An inter frame states none; nor does a key frame cut short.
        var inter = payload
        inter[1] |= 0x01
        for bytes in [inter, Array(payload.prefix(9))] {
            var other = ByteBuffer()
            RTPHeader(payloadType: 96, sequenceNumber: SequenceNumber(1), timestamp: RTPTimestamp(1), ssrc: 1)
                .write(into: &other, payload: ByteBuffer(bytes: bytes))
            #expect(VideoPayloadFormat.vp8.keyFrameSize(of: try RTPPacket(validating: other)) == nil)
        }
    }
}
