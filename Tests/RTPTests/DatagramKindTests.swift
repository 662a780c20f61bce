import RTP
import Testing

@Suite struct DatagramKindTests {
    @Test(
        arguments: [
            ([0x00, 0x01], DatagramKind.stun),  // binding request
            ([0x01, 0x01], .stun),  // binding success
            ([0x10, 0x00], .zrtp),
            ([0x16, 0xFE], .dtls),  // handshake record, DTLS 1.2
            ([0x17, 0xFE], .dtls),  // application data
            ([0x40, 0x00], .turnChannel),
            ([0x80, 0x60], .rtp),  // PT 96
            ([0x80, 0xE0], .rtp),  // PT 96 + marker
            ([0x80, 0xC8], .rtcp),  // SR
            ([0x81, 0xCD], .rtcp),  // RTPFB
            ([0x8F, 0xCE], .rtcp),  // PSFB
            ([0x80], .unknown),  // one byte cannot tell RTP from RTCP
            ([0xFF, 0x00], .unknown),
            ([], .unknown),
        ] as [([UInt8], DatagramKind)]
    )
    func classifiesByFirstByte(bytes: [UInt8], expected: DatagramKind) {
        bytes.withUnsafeBytes { #expect(DatagramKind($0) == expected) }
    }
}
