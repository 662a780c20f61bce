import SFU

/// An error reply of the native protocol: a stable code and a sentence. A bad request
/// fails alone; the connection and the call go on.
public struct NativeError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case invalidMessage = "invalid_message"
        case unknownType = "unknown_type"
        case messageTooLarge = "message_too_large"
        case notJoined = "not_joined"
        case alreadyJoined = "already_joined"
        case invalidRoomName = "invalid_room_name"
        case unauthorized = "unauthorized"
        case unknownRoom = "unknown_room"
        case roomFull = "room_full"
        case negotiationFailed = "negotiation_failed"
        case invalidCandidate = "invalid_candidate"
        case transportFailed = "transport_failed"
        case unknownParticipant = "unknown_participant"
        case unknownTrack = "unknown_track"
        case recordingFailed = "recording_failed"
        case draining = "draining"
        case rateLimited = "rate_limited"
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: SFUError) {
        let code: Code =
            switch error {
            case .transport: .transportFailed
            case .invalidCandidate: .invalidCandidate
            case .negotiation: .negotiationFailed
            case .unknownParticipant: .unknownParticipant
            case .unknownProducer: .unknownTrack
            case .roomFull, .subscribersFull: .roomFull
            case .unknownRoom: .unknownRoom
            case .roomExists: .internalError
            case .unauthorized: .unauthorized
            case .recording: .recordingFailed
            }
        self.init(code, error.description)
    }

    static func field(_ name: String, _ expected: String) -> NativeError {
        NativeError(.invalidMessage, "'\(name)' must be \(expected)")
    }
}
