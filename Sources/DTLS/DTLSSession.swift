internal import COpenSSL

/// One DTLS 1.2 endpoint over memory, no sockets: datagrams in, datagrams out
/// (RFC 6347, RFC 5764). The owner feeds received datagrams to `receive(_:at:)`, sends
/// what every call returns, and calls `handleTimeout(at:)` when `nextTimeout` elapses.
///
/// Not thread-safe and not `Sendable`: a session belongs to its transport, on the room's
/// media worker.
public final class DTLSSession {
    public enum State: Equatable, Sendable {
        case new
        case handshaking
        case connected
        case failed(DTLSError)
        case closed
    }

    public let role: DTLSRole
    public private(set) var state: State = .new
    /// The SRTP profile the handshake chose, once `state` is `.connected`.
    public private(set) var profile: SRTPProfile?
    /// The raw DTLS-SRTP keying material both sides exported (RFC 5764 §4.2), once
    /// connected: `client key | server key | client salt | server salt`.
    public private(set) var exportedKeyingMaterial: [UInt8]?
    /// The SRTP keys split by this side's role, once `state` is `.connected`.
    public var keyingMaterial: SRTPKeyingMaterial? {
        guard let profile = self.profile, let material = self.exportedKeyingMaterial else { return nil }
        return SRTPKeyingMaterial(exported: material, profile: profile, role: self.role)
    }
    /// The fingerprint the peer's certificate actually had, once connected.
    public private(set) var peerFingerprint: DTLSFingerprint?

    let mtu: Int
    let expectedFingerprints: [DTLSFingerprint]
    let handshakeTimeout: Duration
    var handshakeDeadline: ContinuousClock.Instant?
    let ssl: OpaquePointer  // SSL
    /// Datagrams OpenSSL wrote during the current call, one per record flight piece.
    var outgoing: [[UInt8]] = []

    /// - Parameters:
    ///   - remoteFingerprints: the `a=fingerprint` values of the peer's SDP; its
    ///     certificate must match one whose hash SwiftSFU knows, or the handshake fails.
    ///   - mtu: the largest datagram the session writes.
    ///   - profiles: the SRTP profiles offered or accepted, in order of preference (the
    ///     server's order decides).
    public init(
        role: DTLSRole,
        certificate: DTLSCertificate,
        remoteFingerprints: [DTLSFingerprint],
        mtu: Int = 1200,
        handshakeTimeout: Duration = .seconds(30),
        profiles: [SRTPProfile] = SRTPProfile.allCases
    ) throws(DTLSError) {
        precondition(!profiles.isEmpty, "at least one SRTP profile")
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(certificate.context) else { throw .fromQueue("SSL_new") }
        // The context offers every profile; a session offering fewer says so itself.
        if profiles != SRTPProfile.allCases,
            // NOTE: returns 0 on success, unlike the rest of OpenSSL.
            SSL_set_tlsext_use_srtp(ssl, SRTPProfile.openSSLList(profiles)) != 0
        {
            SSL_free(ssl)
            throw .fromQueue("SSL_set_tlsext_use_srtp")
        }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(DatagramBIO.method) else {
            SSL_free(ssl)
            throw .fromQueue("BIO_new")
        }
        cossl_bio_set_mem_eof_return(readBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.role = role
        self.ssl = ssl
        self.mtu = mtu
        self.expectedFingerprints = remoteFingerprints
        self.handshakeTimeout = handshakeTimeout
        BIO_set_data(writeBIO, Unmanaged.passUnretained(self).toOpaque())
        cossl_set_mtu(ssl, mtu)
        DTLS_set_timer_cb(ssl, DatagramBIO.retransmissionTimer)
        if role == .client { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
    }

    deinit {
        SSL_free(self.ssl)  // frees both BIOs and its reference to the certificate's context
    }

    /// Starts the handshake; a client returns its ClientHello.
    public func start(at now: ContinuousClock.Instant) -> [[UInt8]] {
        guard self.state == .new else { return [] }
        self.state = .handshaking
        self.handshakeDeadline = now.advanced(by: self.handshakeTimeout)
        if self.role == .client { self.advanceHandshake() }
        return self.takeOutgoing()
    }

    /// Feeds one received DTLS datagram; returns the datagrams to send in reply.
    public func receive(_ datagram: [UInt8], at now: ContinuousClock.Instant) -> [[UInt8]] {
        if self.state == .new { _ = self.start(at: now) }
        switch self.state {
        case .handshaking, .connected: break
        case .new, .failed, .closed: return []
        }
        OpenSSLErrorQueue.clear()
        _ = datagram.withUnsafeBytes { BIO_write(SSL_get_rbio(self.ssl), $0.baseAddress, Int32($0.count)) }
        if self.state == .handshaking {
            self.advanceHandshake()
        }
        if self.state == .connected {
            self.drainRecords()
        }
        return self.takeOutgoing()
    }

    /// Time left until `handleTimeout(at:)` must run, or `nil` when no timer runs.
    public var nextTimeout: Duration? {
        guard self.state == .handshaking else { return nil }
        let milliseconds = cossl_dtls_timeout_ms(self.ssl)
        return milliseconds < 0 ? nil : .milliseconds(milliseconds)
    }

    /// Retransmits the last flight if its timer expired, and fails the handshake past
    /// its deadline. Returns the datagrams to send.
    public func handleTimeout(at now: ContinuousClock.Instant) -> [[UInt8]] {
        guard self.state == .handshaking else { return [] }
        if let deadline = self.handshakeDeadline, now >= deadline {
            self.state = .failed(.handshakeTimedOut)
            return []
        }
        if cossl_dtls_handle_timeout(self.ssl) < 0 {
            self.state = .failed(.handshakeFailed(reason: "retransmission failed: " + OpenSSLErrorQueue.drain()))
        }
        return self.takeOutgoing()
    }

    /// Sends close_notify and closes the session.
    public func close() -> [[UInt8]] {
        if self.state == .connected || self.state == .handshaking {
            _ = SSL_shutdown(self.ssl)
        }
        self.state = .closed
        return self.takeOutgoing()
    }

    // MARK: - Internals

    func takeOutgoing() -> [[UInt8]] {
        defer { self.outgoing.removeAll(keepingCapacity: true) }
        return self.outgoing
    }

    func advanceHandshake() {
        let result = SSL_do_handshake(self.ssl)
        if result == 1 {
            self.finishHandshake()
            return
        }
        let error = SSL_get_error(self.ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        self.state = .failed(.handshakeFailed(reason: OpenSSLErrorQueue.drain()))
    }

    func finishHandshake() {
        guard let certificate = SSL_get1_peer_certificate(self.ssl) else {
            self.fail(.missingPeerCertificate)
            return
        }
        defer { X509_free(certificate) }
        self.peerFingerprint = DTLSCertificate.sha256(of: certificate)
        guard self.expectedFingerprints.contains(where: { Self.matches($0, certificate) }) else {
            self.fail(.fingerprintMismatch)
            return
        }
        guard let selected = SSL_get_selected_srtp_profile(self.ssl),
            let name = selected.pointee.name,
            let profile = SRTPProfile(rawValue: String(cString: name))
        else {
            self.fail(.noSRTPProfile)
            return
        }
        var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        let label = "EXTRACTOR-dtls_srtp"
        guard SSL_export_keying_material(self.ssl, &material, material.count, label, label.utf8.count, nil, 0, 0) == 1
        else {
            self.fail(.fromQueue("SSL_export_keying_material"))
            return
        }
        self.profile = profile
        self.exportedKeyingMaterial = material
        self.state = .connected
    }

    /// Fails the session and tells the peer (close_notify: OpenSSL sends no chosen alert).
    func fail(_ error: DTLSError) {
        _ = SSL_shutdown(self.ssl)
        self.state = .failed(error)
    }

    /// Processes records after the handshake: retransmitted flights, alerts, close_notify.
    /// Application data (a data channel) is not carried by SwiftSFU's DTLS and is dropped.
    func drainRecords() {
        var scratch = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = SSL_read(self.ssl, &scratch, Int32(scratch.count))
            if count > 0 { continue }
            let error = SSL_get_error(self.ssl, count)
            if error == SSL_ERROR_ZERO_RETURN || SSL_get_shutdown(self.ssl) & COSSL_SSL_RECEIVED_SHUTDOWN != 0 {
                self.state = .closed
            } else if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                self.state = .failed(.handshakeFailed(reason: OpenSSLErrorQueue.drain()))
            }
            return
        }
    }

    /// Whether `certificate`'s digest under the fingerprint's hash equals it.
    static func matches(_ fingerprint: DTLSFingerprint, _ certificate: OpaquePointer) -> Bool {
        let digest: OpaquePointer?
        switch fingerprint.algorithm {
        case "sha-1": digest = EVP_sha1()
        case "sha-224": digest = EVP_sha224()
        case "sha-256": digest = EVP_sha256()
        case "sha-384": digest = EVP_sha384()
        case "sha-512": digest = EVP_sha512()
        default: return false
        }
        var bytes = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, digest, &bytes, &length) == 1 else { return false }
        return Array(bytes.prefix(Int(length))) == fingerprint.digest
    }
}
