import DTLS
import NIOCore
import TestSupport
import Testing

/// Known-answer vectors: a fixed master key and packet must give these exact bytes. The
/// values are the reference packets libsrtp validates itself with (AES-CM-128 +
/// HMAC-SHA1-80 from the RFC 3711 key, and AEAD-AES-128-GCM as RFC 7714 specifies it),
/// reached here through the same public API the SFU uses.
@Suite struct SRTPKnownAnswerTests {
    /// The vectors below are literals checked by eye; a typo in one is a test bug.
    static func bytes(_ hex: String) -> [UInt8] {
        guard let bytes = [UInt8](hex: hex) else { preconditionFailure("bad hex literal: \(hex)") }
        return bytes
    }

    static let rtpPlaintext = Self.bytes("800f1234 decafbad cafebabe abababab abababab abababab abababab")
    static let rtcpPlaintext = Self.bytes("81c8000b cafebabe abababab abababab abababab abababab")

    struct Vector: Sendable, CustomStringConvertible {
        var profile: SRTPProfile
        var key: String
        var srtp: String
        var srtcp: String
        var description: String { self.profile.rawValue }
    }

    static let vectors = [
        Vector(
            profile: .aes128CMHMACSHA1_80,
            key: "e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6",
            srtp: "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb",
            srtcp: "81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8 80000001 993e08cd 54d6c123 0798"
        ),
        Vector(
            profile: .aeadAES128GCM,
            key: "000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab",
            srtp: "800f1234 decafbad cafebabe c5002ede 04cfdd2e b91159e0 880aa06e d2976826 f796b201 df3131a1 27e8a392",
            srtcp: "81c8000b cafebabe c98b8b5d f0392a55 852b6c21 ac8e7025 c52c6fbe a2b3b446 ea31123b a88ce61e 80000001"
        ),
    ]

    @Test(arguments: Self.vectors)
    func protectGivesTheReferenceBytes(vector: Vector) throws {
        let key = Self.bytes(vector.key)
        let sender = try SRTPContext(profile: vector.profile, keyAndSalt: key, direction: .outbound)
        var rtp = ByteBuffer(bytes: Self.rtpPlaintext)
        try sender.protect(&rtp)
        #expect(Array(buffer: rtp) == Self.bytes(vector.srtp))
        var rtcp = ByteBuffer(bytes: Self.rtcpPlaintext)
        try sender.protectRTCP(&rtcp)
        #expect(Array(buffer: rtcp) == Self.bytes(vector.srtcp))
    }

    @Test(arguments: Self.vectors)
    func unprotectRecoversTheReferencePlaintext(vector: Vector) throws {
        let receiver = try SRTPContext(profile: vector.profile, keyAndSalt: Self.bytes(vector.key), direction: .inbound)
        var srtp = ByteBuffer(bytes: Self.bytes(vector.srtp))
        try receiver.unprotect(&srtp)
        #expect(Array(buffer: srtp) == Self.rtpPlaintext)
        var srtcp = ByteBuffer(bytes: Self.bytes(vector.srtcp))
        try receiver.unprotectRTCP(&srtcp)
        #expect(Array(buffer: srtcp) == Self.rtcpPlaintext)
    }
}
