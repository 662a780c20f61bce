/// What went wrong in the DTLS layer. Environment failures from OpenSSL are wrapped at
/// the shim boundary; OpenSSL's codes never travel further up.
public enum DTLSError: Error, Equatable, Sendable {
    /// An OpenSSL call failed; `reason` is OpenSSL's error string.
    case openSSL(function: String, reason: String)
    /// The peer's certificate does not match the fingerprint from its SDP.
    case fingerprintMismatch
    /// The peer sent no certificate.
    case missingPeerCertificate
    /// The handshake failed (a fatal alert, a protocol error); `reason` says why.
    case handshakeFailed(reason: String)
    /// The handshake did not finish before its deadline.
    case handshakeTimedOut
    /// The peer did not offer an SRTP protection profile SwiftSFU accepts.
    case noSRTPProfile
    /// A certificate or key file could not be read.
    case unreadableFile(path: String)

    /// The newest error on OpenSSL's thread-local queue, which is then cleared.
    static func fromQueue(_ function: String) -> DTLSError {
        .openSSL(function: function, reason: OpenSSLErrorQueue.drain())
    }
}
