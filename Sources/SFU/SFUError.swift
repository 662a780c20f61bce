/// What the routing core refuses, with a stable code for the signaling faces.
public enum SFUError: Error, Equatable, Sendable, CustomStringConvertible {
    case transport(String)
    case invalidCandidate(String)
    case negotiation(String)
    case unknownParticipant(String)
    case unknownProducer(String)
    case roomFull(maximumPublishers: Int)
    case subscribersFull(maximumSubscribers: Int)
    case unknownRoom(String)
    case roomExists(String)
    case unauthorized(String)
    /// A recording could not start: nothing to record, or its folder cannot be made.
    case recording(String)

    public var code: String {
        switch self {
        case .transport: "transport_failed"
        case .invalidCandidate: "invalid_candidate"
        case .negotiation: "negotiation_failed"
        case .unknownParticipant: "unknown_participant"
        case .unknownProducer: "unknown_producer"
        case .roomFull, .subscribersFull: "room_full"
        case .unknownRoom: "unknown_room"
        case .roomExists: "room_exists"
        case .unauthorized: "unauthorized"
        case .recording: "recording_failed"
        }
    }

    /// A sentence for the error replies of the signaling faces.
    public var description: String {
        switch self {
        case .transport(let detail): "transport failed: \(detail)"
        case .invalidCandidate(let candidate): "invalid ICE candidate '\(candidate.prefix(200))'"
        case .negotiation(let detail): "negotiation failed: \(detail)"
        case .unknownParticipant(let id): "no participant '\(id)' in this room"
        case .unknownProducer(let id): "no track '\(id)' in this room"
        case .roomFull(let maximum): "the room already has its maximum of \(maximum) publishers"
        case .subscribersFull(let maximum): "the room already has its maximum of \(maximum) subscribers"
        case .unknownRoom(let name): "no room named '\(name)'"
        case .roomExists(let name): "a room named '\(name)' already exists"
        case .unauthorized(let detail): "not allowed: \(detail)"
        case .recording(let detail): "cannot record: \(detail)"
        }
    }
}
