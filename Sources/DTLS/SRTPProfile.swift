/// The DTLS-SRTP protection profiles SwiftSFU negotiates (RFC 5764 §4.1.2, RFC 7714 §14.2),
/// in the server's order of preference.
public enum SRTPProfile: String, CaseIterable, Sendable {
    case aeadAES128GCM = "SRTP_AEAD_AES_128_GCM"
    case aeadAES256GCM = "SRTP_AEAD_AES_256_GCM"
    case aes128CMHMACSHA1_80 = "SRTP_AES128_CM_SHA1_80"

    /// Master key length in bytes.
    public var keyLength: Int {
        switch self {
        case .aeadAES128GCM, .aes128CMHMACSHA1_80: 16
        case .aeadAES256GCM: 32
        }
    }

    /// Master salt length in bytes.
    public var saltLength: Int {
        switch self {
        case .aeadAES128GCM, .aeadAES256GCM: 12
        case .aes128CMHMACSHA1_80: 14
        }
    }

    /// Bytes SRTP adds to an RTP packet (authentication tag).
    public var rtpOverhead: Int {
        switch self {
        case .aeadAES128GCM, .aeadAES256GCM: 16
        case .aes128CMHMACSHA1_80: 10
        }
    }

    /// Keying material exported from DTLS for both directions: 2 × (key + salt).
    public var keyingMaterialLength: Int { 2 * (self.keyLength + self.saltLength) }

    /// The colon-separated list OpenSSL's `SSL_CTX_set_tlsext_use_srtp` takes, in the
    /// order given (on the server, that order decides).
    public static func openSSLList(_ profiles: [SRTPProfile]) -> String {
        profiles.map(\.rawValue).joined(separator: ":")
    }

    /// Every profile in the server's order of preference, as OpenSSL takes them.
    public static var openSSLPreferenceList: String { Self.openSSLList(Self.allCases) }
}
