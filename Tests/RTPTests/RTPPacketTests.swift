import NIOCore
import RTP
import TestSupport
import Testing

@Suite struct RTPPacketTests {
    /// A VP8 packet as Chromium sends it: marker, PT 96, two one-byte extensions
    /// (abs-send-time id 2, transport-cc id 3), 4 payload bytes.
    static let chromiumVP8: [UInt8] = [
        0x90, 0xE0, 0x12, 0x34,  // V=2 X=1 CC=0 | M=1 PT=96 | seq 0x1234
        0x00, 0x01, 0xE2, 0x40,  // timestamp 123456
        0xCA, 0xFE, 0xBA, 0xBE,  // SSRC
        0xBE, 0xDE, 0x00, 0x02,  // one-byte extension profile, 2 words
        0x22, 0x01, 0x02, 0x03,  // id 2, L=2 (3 bytes): abs-send-time 0x010203
        0x31, 0x00, 0x07, 0x00,  // id 3, L=1 (2 bytes): transport seq 7; padding
        0x90, 0x80, 0x01, 0x00,  // payload
    ]

    @Test func parsesEveryHeaderField() throws {
        let packet = try RTPPacket(validating: ByteBuffer(bytes: Self.chromiumVP8))
        #expect(packet.marker)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == SequenceNumber(0x1234))
        #expect(packet.timestamp == RTPTimestamp(123_456))
        #expect(packet.ssrc == 0xCAFE_BABE)
        #expect(packet.csrcCount == 0)
        #expect(packet.hasExtension)
        #expect(!packet.hasPadding)
        #expect(packet.headerLength == 24)
        #expect(packet.payloadLength == 4)
        #expect(Array(buffer: packet.payload) == [0x90, 0x80, 0x01, 0x00])
        let map = RTPHeaderExtensionMap([
            2: RTPHeaderExtensionURI.absSendTime, 3: RTPHeaderExtensionURI.transportWideCC,
        ])
        #expect(packet.absSendTime(using: map) == 0x010203)
        #expect(packet.transportWideSequenceNumber(using: map) == 7)
        #expect(packet.headerExtensions?.form == .oneByte)
    }

    @Test func parsesCSRCsAndPadding() throws {
        let bytes: [UInt8] = [
            0xA2, 0x6F, 0x00, 0x01,  // V=2 P=1 CC=2 | PT=111
            0, 0, 0, 2, 0, 0, 0, 3,  // timestamp, SSRC
            0, 0, 0, 10, 0, 0, 0, 11,  // CSRC 10, 11
            0xAA, 0xBB,  // payload
            0, 0, 3,  // 3 bytes of padding
        ]
        let packet = try RTPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(packet.csrcs == [10, 11])
        #expect(packet.paddingLength == 3)
        #expect(Array(buffer: packet.payload) == [0xAA, 0xBB])
        packet.withPayloadBytes { #expect(Array($0) == [0xAA, 0xBB]) }
    }

    @Test(
        arguments: [
            ([0x80, 0x60, 0x00], .truncatedHeader),  // 3 of 12 header bytes
            ([0x40, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1], .badVersion),  // V=1
            ([0x81, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1], .truncatedCSRCList),  // CC=1, CSRC missing
            ([0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE], .truncatedExtension),  // X=1, 2 of 4
            // 2 words, 1 present
            ([0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 2, 0x10, 0, 0, 0], .truncatedExtension),
            (
                [0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 0x13, 0, 0, 0],
                .malformedExtensionElement
            ),  // L=3 → 4 bytes, 3 left
            (
                [0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x00, 0, 1, 0x05, 0x09, 0, 0],
                .malformedExtensionElement
            ),  // two-byte, len 9
            ([0xA0, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA, 0x05], .badPadding),  // pad 5 > 2 bytes
            ([0xA0, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA, 0x00], .badPadding),  // pad count 0
        ] as [([UInt8], RTPParseError)]
    )
    func rejectsMalformedPacket(bytes: [UInt8], expected: RTPParseError) {
        #expect(throws: expected) { try RTPPacket(validating: ByteBuffer(bytes: bytes)) }
    }

    @Test func rewritesFieldsInPlace() throws {
        var packet = try RTPPacket(validating: ByteBuffer(bytes: Self.chromiumVP8))
        packet.setSSRC(0x0102_0304)
        packet.setSequenceNumber(SequenceNumber(9))
        packet.setTimestamp(RTPTimestamp(0xFFFF_FFFF))
        packet.setPayloadType(100)
        #expect(packet.marker, "payload type rewrite keeps the marker")
        packet.setMarker(false)
        #expect(packet.payloadType == 100, "marker rewrite keeps the payload type")
        let reparsed = try RTPPacket(validating: packet.bytes)
        #expect(reparsed.ssrc == 0x0102_0304)
        #expect(reparsed.sequenceNumber == SequenceNumber(9))
        #expect(reparsed.timestamp == RTPTimestamp(0xFFFF_FFFF))
        #expect(reparsed.payloadType == 100 && !reparsed.marker)
        #expect(Array(buffer: reparsed.payload) == [0x90, 0x80, 0x01, 0x00])
    }

    @Test func rewritingAViewLeavesTheSourceBytesAlone() throws {
        let source = ByteBuffer(bytes: Self.chromiumVP8)
        var packet = try RTPPacket(validating: source)
        packet.setSSRC(1)
        #expect(try RTPPacket(validating: source).ssrc == 0xCAFE_BABE)
    }

    @Test func egressCopyRewritesOnlyTheCopy() throws {
        let packet = try RTPPacket(validating: ByteBuffer(bytes: Self.chromiumVP8))
        var out = ByteBuffer()
        out.writeString("x")  // the copy is appended, not written at 0
        let written = packet.write(into: &out, ssrc: 7, sequenceNumber: SequenceNumber(8), timestamp: RTPTimestamp(9))
        #expect(written == Self.chromiumVP8.count)
        out.moveReaderIndex(forwardBy: 1)
        let copy = try RTPPacket(validating: out)
        #expect(copy.ssrc == 7 && copy.sequenceNumber == SequenceNumber(8) && copy.timestamp == RTPTimestamp(9))
        #expect(copy.payloadType == 96 && copy.marker)
        #expect(packet.ssrc == 0xCAFE_BABE)
    }

    @Test func egressCopyCanRewriteThePayloadTypeKeepingTheMarker() throws {
        let packet = try RTPPacket(validating: ByteBuffer(bytes: Self.chromiumVP8))
        var out = ByteBuffer()
        packet.write(
            into: &out,
            ssrc: 7,
            sequenceNumber: SequenceNumber(8),
            timestamp: RTPTimestamp(9),
            payloadType: 101
        )
        let copy = try RTPPacket(validating: out)
        #expect(copy.payloadType == 101 && copy.marker)
        #expect(copy.ssrc == 7 && copy.payloadLength == packet.payloadLength)
        #expect(packet.payloadType == 96)
    }

    @Test func builderRoundTripsSeededRandomHeaders() throws {
        var rng = SplitMix64(seed: 0x5F5F)
        for _ in 0..<500 {
            let header = RTPHeader.random(using: &rng)
            let payload = ByteBuffer(
                bytes: (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            )
            let padding = Bool.random(using: &rng) ? Int.random(in: 1...32, using: &rng) : 0
            var out = ByteBuffer()
            header.write(into: &out, payload: payload, paddingLength: padding)
            #expect(out.readableBytes == header.encodedLength + payload.readableBytes + padding)
            let packet = try RTPPacket(validating: out)
            #expect(packet.header == header)
            #expect(packet.payload == payload)
            #expect(packet.paddingLength == padding)
        }
    }
}

extension RTPHeader {
    static func random(using rng: inout SplitMix64) -> RTPHeader {
        let twoByte = Bool.random(using: &rng)
        var ids = Set<UInt8>()
        let extensions: [RTPHeaderExtensionElement] = (0..<Int.random(in: 0...4, using: &rng)).compactMap { _ in
            let id = twoByte ? UInt8.random(in: 1...255, using: &rng) : UInt8.random(in: 1...14, using: &rng)
            guard ids.insert(id).inserted else { return nil }
            let count = twoByte ? Int.random(in: 0...20, using: &rng) : Int.random(in: 1...16, using: &rng)
            return RTPHeaderExtensionElement(
                id: id,
                value: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            )
        }
        return RTPHeader(
            marker: Bool.random(using: &rng),
            payloadType: UInt8.random(in: 0...127, using: &rng),
            sequenceNumber: SequenceNumber(UInt16.random(in: 0...UInt16.max, using: &rng)),
            timestamp: RTPTimestamp(UInt32.random(in: 0...UInt32.max, using: &rng)),
            ssrc: UInt32.random(in: 0...UInt32.max, using: &rng),
            csrcs: (0..<Int.random(in: 0...3, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
            extensions: extensions
        )
    }
}
