/// What went wrong in the ICE layer. Candidate strings and credentials come from the
/// network (signaling), so a malformed one is an error for the caller, never a crash.
public enum ICEError: Error, Equatable, Sendable {
    /// A remote candidate string libnice could not parse or add.
    case malformedCandidate(String)
    /// Remote credentials were empty or rejected.
    case invalidCredentials
    /// A configured address is not an IP literal.
    case invalidAddress(String)
    /// libnice refused an operation; `operation` names it.
    case libnice(operation: String)
    /// The agent was closed.
    case closed
}
