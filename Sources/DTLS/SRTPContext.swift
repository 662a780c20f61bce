internal import CSRTP
public import NIOCore

/// One direction of SRTP and SRTCP on libsrtp2 (RFC 3711): `.outbound` protects what a
/// transport sends, `.inbound` unprotects what it receives. Any SSRC is accepted in
/// either direction, so streams appear as publishers and subscribers do; every stream
/// keeps its own replay window. Protect and unprotect work in place.
///
/// Not thread-safe: a context belongs to its transport, on the room's media worker.
public final class SRTPContext {
    public enum Direction: Sendable {
        case inbound
        case outbound
    }

    /// Bytes a packet may grow by when protected; libsrtp may use up to this much.
    public static let maximumTrailerLength = 144

    public let profile: SRTPProfile
    public let direction: Direction
    let session: OpaquePointer  // srtp_t
    /// Packets whose authentication tag did not verify.
    public private(set) var authenticationFailures: UInt64 = 0
    /// Packets refused as replays.
    public private(set) var replays: UInt64 = 0

    /// - Parameters:
    ///   - keyAndSalt: the master key followed by the master salt.
    ///   - replayWindow: packets of reordering the replay check tolerates (64–32768).
    public init(
        profile: SRTPProfile,
        keyAndSalt: [UInt8],
        direction: Direction,
        replayWindow: Int = 1024
    ) throws(SRTPError) {
        precondition(keyAndSalt.count == profile.keyLength + profile.saltLength, "key and salt of the profile's size")
        guard SRTPLibrary.isInitialized else { throw .status(-1) }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAES256GCM:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(replayWindow)
        // Retransmissions (NACK replies) resend a sequence number: allowed outbound.
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        var session: srtp_t?
        var key = keyAndSalt
        let status = key.withUnsafeMutableBufferPointer { key in
            policy.key = key.baseAddress
            return srtp_create(&session, &policy)
        }
        guard status == srtp_err_status_ok, let session else { throw .status(Int32(status.rawValue)) }
        self.session = session
        self.profile = profile
        self.direction = direction
    }

    deinit {
        srtp_dealloc(self.session)
    }

    /// Encrypts and authenticates one RTP packet in place; it grows by the tag.
    public func protect(_ packet: inout ByteBuffer) throws(SRTPError) {
        try self.transform(&packet, .protectRTP)
    }

    /// Authenticates and decrypts one SRTP packet in place; it shrinks by the tag.
    public func unprotect(_ packet: inout ByteBuffer) throws(SRTPError) {
        try self.transform(&packet, .unprotectRTP)
    }

    /// Encrypts and authenticates one RTCP compound packet in place.
    public func protectRTCP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try self.transform(&packet, .protectRTCP)
    }

    /// Authenticates and decrypts one SRTCP packet in place.
    public func unprotectRTCP(_ packet: inout ByteBuffer) throws(SRTPError) {
        try self.transform(&packet, .unprotectRTCP)
    }

    enum Operation {
        case protectRTP, unprotectRTP, protectRTCP, unprotectRTCP
    }

    func transform(_ packet: inout ByteBuffer, _ operation: Operation) throws(SRTPError) {
        guard packet.readableBytes >= 8 else { throw .malformed }
        if operation == .protectRTP || operation == .protectRTCP {
            packet.reserveCapacity(minimumWritableBytes: Self.maximumTrailerLength)
        }
        let start = packet.readerIndex
        var length = Int32(packet.readableBytes)
        let status = packet.withVeryUnsafeMutableBytes { storage -> srtp_err_status_t in
            guard let base = storage.baseAddress else { return srtp_err_status_bad_param }
            let bytes = base + start
            switch operation {
            case .protectRTP: return srtp_protect(self.session, bytes, &length)
            case .unprotectRTP: return srtp_unprotect(self.session, bytes, &length)
            case .protectRTCP: return srtp_protect_rtcp(self.session, bytes, &length)
            case .unprotectRTCP: return srtp_unprotect_rtcp(self.session, bytes, &length)
            }
        }
        switch status {
        case srtp_err_status_ok:
            packet.moveWriterIndex(to: start + Int(length))
        case srtp_err_status_auth_fail:
            self.authenticationFailures &+= 1
            throw .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old:
            self.replays &+= 1
            throw .replayed
        case srtp_err_status_bad_param, srtp_err_status_parse_err:
            throw .malformed
        default:
            throw .status(Int32(status.rawValue))
        }
    }
}

/// libsrtp2's process-wide initialisation, done once.
enum SRTPLibrary {
    static let isInitialized: Bool = srtp_init() == srtp_err_status_ok
}
