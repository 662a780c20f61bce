/// Why libsrtp refused a packet or a context (RFC 3711 §3.3, §3.4). Authentication
/// failures and replays are the ones network input causes; the owner counts and drops.
public enum SRTPError: Error, Equatable, Sendable {
    /// The authentication tag did not verify: tampered, truncated or wrongly keyed.
    case authenticationFailed
    /// The packet index was seen before or is older than the replay window.
    case replayed
    /// The packet is too short to be SRTP / SRTCP.
    case malformed
    /// Any other libsrtp status code (an environment failure).
    case status(Int32)
}
