internal import COpenSSL
import Foundation

/// The server's DTLS identity: an ECDSA P-256 key and a self-signed certificate, made at
/// start or loaded from PEM files. Immutable once made, so it is shared by every session.
public final class DTLSCertificate: @unchecked Sendable {
    let key: OpaquePointer  // EVP_PKEY
    let certificate: OpaquePointer  // X509
    /// The SHA-256 fingerprint the SDP advertises.
    public let fingerprint: DTLSFingerprint
    /// The DTLS 1.2 context every session of this certificate is made from
    /// (`makeContext`). Not changed after it is made, so sessions on any thread share it.
    let context: OpaquePointer  // SSL_CTX

    /// Generates a P-256 key and a self-signed certificate valid for `lifetime`.
    public convenience init(
        commonName: String = "SwiftSFU",
        lifetime: Duration = .seconds(30 * 24 * 3600)
    )
        throws(DTLSError)
    {
        OpenSSLErrorQueue.clear()
        guard let key = cossl_ec_p256_generate() else { throw .fromQueue("EVP_EC_gen") }
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw .fromQueue("X509_new")
        }
        let serialNumber = Int(UInt32.random(in: 1...UInt32.max))
        let name = X509_get_subject_name(x509)
        let ok =
            X509_set_version(x509, 2) == 1
            && ASN1_INTEGER_set(X509_get_serialNumber(x509), serialNumber) == 1
            && X509_gmtime_adj(X509_getm_notBefore(x509), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(x509), Int(lifetime.components.seconds)) != nil
            && X509_set_pubkey(x509, key) == 1
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(x509, name) == 1
            && X509_sign(x509, key, EVP_sha256()) > 0
        guard ok else {
            X509_free(x509)
            EVP_PKEY_free(key)
            throw .fromQueue("X509_sign")
        }
        try self.init(key: key, certificate: x509)
    }

    /// Loads a certificate and its private key from PEM files.
    public convenience init(certificatePath: String, keyPath: String) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        guard let certificateFile = fopen(certificatePath, "r") else { throw .unreadableFile(path: certificatePath) }
        let x509 = PEM_read_X509(certificateFile, nil, nil, nil)
        fclose(certificateFile)
        guard let x509 else { throw .fromQueue("PEM_read_X509") }
        guard let keyFile = fopen(keyPath, "r") else {
            X509_free(x509)
            throw .unreadableFile(path: keyPath)
        }
        let key = PEM_read_PrivateKey(keyFile, nil, nil, nil)
        fclose(keyFile)
        guard let key else {
            X509_free(x509)
            throw .fromQueue("PEM_read_PrivateKey")
        }
        try self.init(key: key, certificate: x509)
    }

    /// Takes ownership of `key` and `certificate`.
    init(key: OpaquePointer, certificate: OpaquePointer) throws(DTLSError) {
        guard let fingerprint = Self.sha256(of: certificate) else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw .fromQueue("X509_digest")
        }
        guard let context = Self.makeContext(key: key, certificate: certificate) else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw .fromQueue("SSL_CTX setup")
        }
        self.key = key
        self.certificate = certificate
        self.fingerprint = fingerprint
        self.context = context
    }

    deinit {
        SSL_CTX_free(self.context)  // sessions still open hold references of their own
        X509_free(self.certificate)
        EVP_PKEY_free(self.key)
    }

    /// A DTLS 1.2 context for `certificate` and `key`: every SRTP profile in the server's
    /// order, any peer certificate accepted (the session checks its fingerprint against
    /// the SDP's once the handshake is done), no session cache. One per certificate, not
    /// per session: one per session cost some 12 KB per peer (docs/decisions.md, "One
    /// OpenSSL context per certificate").
    private static func makeContext(key: OpaquePointer, certificate: OpaquePointer) -> OpaquePointer? {
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(DTLS_method()) else { return nil }
        guard cossl_ctx_set_dtls12_only(context) == 1,
            SSL_CTX_use_certificate(context, certificate) == 1,
            SSL_CTX_use_PrivateKey(context, key) == 1,
            SSL_CTX_check_private_key(context) == 1,
            // NOTE: returns 0 on success, unlike the rest of OpenSSL.
            SSL_CTX_set_tlsext_use_srtp(context, SRTPProfile.openSSLList(SRTPProfile.allCases)) == 0
        else {
            SSL_CTX_free(context)
            return nil
        }
        // A context shared by every session must not keep each one's session (tickets,
        // which keep nothing on the server, are offered as before).
        cossl_ctx_disable_session_cache(context)
        // Self-signed certificates are the norm: accept any chain here and check the
        // fingerprint from the SDP once the handshake is done.
        SSL_CTX_set_verify(context, COSSL_SSL_VERIFY_PEER_REQUIRED) { _, _ in 1 }
        return context
    }

    /// The SHA-256 fingerprint of a certificate.
    static func sha256(of certificate: OpaquePointer) -> DTLSFingerprint? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
        return DTLSFingerprint(algorithm: "sha-256", digest: Array(digest.prefix(Int(length))))
    }

    /// The certificate and key as PEM text, for writing to files.
    public func pem() -> (certificate: String, key: String) {
        func write(_ body: (OpaquePointer) -> Int32) -> String {
            guard let bio = BIO_new(BIO_s_mem()) else { return "" }
            defer { BIO_free(bio) }
            _ = body(bio)
            var pointer: UnsafeMutablePointer<CChar>?
            let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
            guard let pointer, length > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        return (
            write { PEM_write_bio_X509($0, self.certificate) },
            write { PEM_write_bio_PrivateKey($0, self.key, nil, nil, 0, nil, nil) }
        )
    }
}
