/// What the routing core refuses, with a stable code for the signaling faces.
public enum SFUError: Error, Equatable, Sendable {
    case transport(String)
    case invalidCandidate(String)
    case negotiation(String)
    case unknownParticipant(String)
    case unknownProducer(String)
    case roomFull(maximumPublishers: Int)

    public var code: String {
        switch self {
        case .transport: "transport_failed"
        case .invalidCandidate: "invalid_candidate"
        case .negotiation: "negotiation_failed"
        case .unknownParticipant: "unknown_participant"
        case .unknownProducer: "unknown_producer"
        case .roomFull: "room_full"
        }
    }
}
