import DTLS
import Testing

@Suite struct CryptoLibrariesTests {
    @Test func linkedOpenSSLIsVersion3() {
        #expect(CryptoLibraries.openSSLVersion.hasPrefix("OpenSSL 3."))
    }

    @Test func linkedLibSRTPIsVersion2AndInitializes() {
        #expect(CryptoLibraries.srtpVersion.hasPrefix("libsrtp2 2."))
        #expect(CryptoLibraries.srtpInitializes())
    }

    /// scripts/build-libsrtp.sh builds libsrtp2 on OpenSSL and Package.swift links it
    /// statically; Debian's shared, NSS-built library must not be the one in use.
    @Test func libSRTPIsTheOpenSSLBuildNotDebiansNSSBuild() {
        #expect(CryptoLibraries.srtpInitializes())
        let shared = CryptoLibraries.sharedSRTPLibraries
        #expect(shared.isEmpty, "libsrtp2 loaded from \(shared.sorted())")
    }

    @Test func profilesAreInServerPreferenceOrder() {
        #expect(
            SRTPProfile.openSSLPreferenceList == "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80"
        )
        // RFC 5764 §4.2 / RFC 7714 §12: keying material is 2 × (key + salt).
        #expect(SRTPProfile.aes128CMHMACSHA1_80.keyingMaterialLength == 60)
        #expect(SRTPProfile.aeadAES128GCM.keyingMaterialLength == 56)
        #expect(SRTPProfile.aeadAES256GCM.keyingMaterialLength == 88)
    }
}
