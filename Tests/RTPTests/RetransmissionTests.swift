import NIOCore
import RTP
import TestSupport
import Testing

/// RTX (RFC 4588): the packet that carries a retransmission, and the packet it carries.
@Suite struct RetransmissionTests {
    @Test func wrappingThenUnwrappingGivesBackThePacketWithoutPadding() throws {
        var rng = SplitMix64(seed: 0x4588)
        for _ in 0..<500 {
            let header = RTPHeader.random(using: &rng)
            let payload = ByteBuffer(
                bytes: (0..<Int.random(in: 1...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            )
            let padding = Bool.random(using: &rng) ? Int.random(in: 1...32, using: &rng) : 0
            var bytes = ByteBuffer()
            header.write(into: &bytes, payload: payload, paddingLength: padding)
            let original = try RTPPacket(validating: bytes)

            let rtxSSRC = UInt32.random(in: 0...UInt32.max, using: &rng)
            let rtxSequence = SequenceNumber(UInt16.random(in: 0...UInt16.max, using: &rng))
            var wrapped = ByteBuffer()
            let written = original.writeRetransmission(
                into: &wrapped,
                ssrc: rtxSSRC,
                sequenceNumber: rtxSequence,
                timestamp: original.timestamp,
                payloadType: 97,
                originalSequenceNumber: original.sequenceNumber
            )
            #expect(written == wrapped.readableBytes)
            let rtx = try RTPPacket(validating: wrapped)
            #expect(rtx.ssrc == rtxSSRC && rtx.sequenceNumber == rtxSequence && rtx.payloadType == 97)
            #expect(rtx.marker == original.marker && rtx.paddingLength == 0)
            #expect(rtx.header.extensions == header.extensions && rtx.csrcs == header.csrcs)
            #expect(rtx.originalSequenceNumber == original.sequenceNumber)
            #expect(rtx.payloadLength == payload.readableBytes + 2)

            var unwrapped = ByteBuffer()
            #expect(rtx.writeOriginal(into: &unwrapped, ssrc: header.ssrc, payloadType: header.payloadType) > 0)
            let back = try RTPPacket(validating: unwrapped)
            #expect(back.header == header)
            #expect(back.payload == payload)
            #expect(back.paddingLength == 0)
        }
    }

    @Test func aPaddingOnlyProbeCarriesNoPacket() throws {
        func rtx(payload: [UInt8], padding: Int) throws -> RTPPacket {
            var bytes = ByteBuffer()
            RTPHeader(payloadType: 97, sequenceNumber: SequenceNumber(9), timestamp: RTPTimestamp(0), ssrc: 5)
                .write(into: &bytes, payload: ByteBuffer(bytes: payload), paddingLength: padding)
            return try RTPPacket(validating: bytes)
        }
        let probe = try rtx(payload: [], padding: 224)
        #expect(probe.originalSequenceNumber == nil)
        var out = ByteBuffer()
        #expect(probe.writeOriginal(into: &out, ssrc: 1, payloadType: 96) == 0)
        #expect(out.readableBytes == 0)
        // An original sequence number and nothing after it carries no media either.
        let bare = try rtx(payload: [0x12, 0x34], padding: 0)
        #expect(bare.originalSequenceNumber == SequenceNumber(0x1234))
        #expect(bare.writeOriginal(into: &out, ssrc: 1, payloadType: 96) == 0)
    }
}
