/// The SRTP master keys and salts one DTLS-SRTP handshake produced (RFC 5764 §4.2),
/// already split by role: `local` protects what this side sends, `remote` unprotects
/// what it receives.
public struct SRTPKeyingMaterial: Equatable, Sendable {
    public var profile: SRTPProfile
    /// Master key followed by master salt, as libsrtp takes them.
    public var localKeyAndSalt: [UInt8]
    public var remoteKeyAndSalt: [UInt8]

    public init(profile: SRTPProfile, localKeyAndSalt: [UInt8], remoteKeyAndSalt: [UInt8]) {
        self.profile = profile
        self.localKeyAndSalt = localKeyAndSalt
        self.remoteKeyAndSalt = remoteKeyAndSalt
    }

    /// Splits exported material `client key | server key | client salt | server salt`.
    public init?(exported material: [UInt8], profile: SRTPProfile, role: DTLSRole) {
        let keyLength = profile.keyLength
        let saltLength = profile.saltLength
        guard material.count == profile.keyingMaterialLength else { return nil }
        let clientKey = material[0..<keyLength]
        let serverKey = material[keyLength..<(2 * keyLength)]
        let clientSalt = material[(2 * keyLength)..<(2 * keyLength + saltLength)]
        let serverSalt = material[(2 * keyLength + saltLength)...]
        let client = Array(clientKey + clientSalt)
        let server = Array(serverKey + serverSalt)
        self.profile = profile
        self.localKeyAndSalt = role == .client ? client : server
        self.remoteKeyAndSalt = role == .client ? server : client
    }
}

/// Which side of the DTLS handshake this endpoint plays (RFC 5763 §5: `a=setup`).
public enum DTLSRole: Sendable, Equatable {
    /// Sends the ClientHello: `a=setup:active`.
    case client
    /// Waits for it: `a=setup:passive`; what SwiftSFU answers to `actpass`.
    case server
}
