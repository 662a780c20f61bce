/// Why a session description was rejected, with the 1-based line it was found on where
/// one applies (RFC 8866 §5, RFC 8829 §5).
public enum SDPError: Error, Equatable, Sendable {
    /// A line is not `<type>=<value>` with a single-letter type.
    case malformedLine(line: Int)
    /// A required line (`v=`, `o=`, `s=`, `t=`) is missing.
    case missingLine(type: Character)
    /// A line that may appear once appeared again.
    case duplicatedLine(line: Int, type: Character)
    /// A line's value could not be parsed; `field` names what was wrong.
    case malformedValue(line: Int, field: String)
    /// The version is not 0.
    case unsupportedVersion
    /// Negotiation failed: `reason` says why (no common codec, missing ICE credentials…).
    case negotiationFailed(reason: String)
}
