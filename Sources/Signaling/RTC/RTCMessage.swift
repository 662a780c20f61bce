/// One message between the call backend and the RTC-server face (docs/rtc-face.md):
/// `{"ref", "name", "jsonData", "userId"}`, both ways. `jsonData` is JSON text in a
/// string, as the backend's `RtcMessage` record carries it; an object is taken too.
public struct RTCMessage: Sendable, Equatable {
    public var ref: String
    public var name: String
    public var data: [String: JSONValue]
    public var userID: String

    public static let maximumSize = 256 * 1024

    public init(ref: String, name: String, data: [String: JSONValue], userID: String) {
        self.ref = ref
        self.name = name
        self.data = data
        self.userID = userID
    }

    public init(parsing text: String) throws(RTCError) {
        guard text.utf8.count <= Self.maximumSize else { throw RTCError.tooLarge }
        guard let envelope = JSONValue.parse(text)?.objectValue else {
            throw RTCError(.invalidMessage, "a message is a JSON object")
        }
        // The ref is echoed in the reply, so it is read before anything can fail.
        let ref = envelope["ref"]?.stringValue ?? envelope["ref"]?.intValue.map(String.init) ?? ""
        self.ref = String(ref.prefix(128))
        guard let name = envelope["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 64 else {
            throw RTCError(.invalidMessage, "'name' is missing", ref: self.ref)
        }
        self.name = name
        switch envelope["jsonData"] {
        case .string(let inner):
            guard let object = JSONValue.parse(inner)?.objectValue else {
                throw RTCError(.invalidMessage, "'jsonData' is not a JSON object", ref: self.ref)
            }
            self.data = object
        case .object(let object):
            self.data = object
        case nil, .null:
            self.data = [:]
        default:
            throw RTCError(.invalidMessage, "'jsonData' is JSON text or an object", ref: self.ref)
        }
        guard let user = envelope["userId"].flatMap({ $0.stringValue ?? $0.intValue.map(String.init) }) else {
            throw RTCError(.invalidMessage, "'userId' is missing", ref: self.ref)
        }
        self.userID = try Self.identifier(user, "userId", ref: self.ref)
    }

    /// The envelope as the backend receives it, `jsonData` as JSON text.
    public var text: String {
        let envelope: JSONValue = [
            "ref": .string(self.ref), "name": .string(self.name),
            "jsonData": .string(JSONValue.object(self.data).text), "userId": .string(self.userID),
        ]
        return envelope.text
    }

    /// A user or call id: 1–128 characters of letters, digits and `._@+-`.
    static func identifier(_ text: String, _ field: String, ref: String) throws(RTCError) -> String {
        guard Identifier.isValid(text) else {
            throw RTCError(.invalidMessage, "'\(field)' is 1-128 letters, digits or ._@+-", ref: ref)
        }
        return text
    }

    func string(_ field: String, maximumLength: Int = 128) throws(RTCError) -> String {
        guard let value = self.data[field] else {
            throw RTCError(.missingField, "'\(field)' is missing", ref: self.ref)
        }
        guard let text = value.stringValue ?? value.intValue.map(String.init), text.utf8.count <= maximumLength else {
            throw RTCError(.invalidMessage, "'\(field)' is a string of at most \(maximumLength) bytes", ref: self.ref)
        }
        return text
    }

    func identifier(_ field: String) throws(RTCError) -> String {
        try Self.identifier(try self.string(field), field, ref: self.ref)
    }
}

/// Why a message was refused; the reply carries the code.
public struct RTCError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case invalidMessage = "invalid_message"
        case messageTooLarge = "message_too_large"
        case unknownMessage = "unknown_message"
        case missingField = "missing_field"
        case unknownCall = "unknown_call"
        case unknownUser = "unknown_user"
        case callExists = "call_exists"
        case notInCall = "not_in_call"
        case negotiationFailed = "negotiation_failed"
        case invalidCandidate = "invalid_candidate"
        case callFull = "call_full"
        case recordingFailed = "recording_failed"
        case draining = "draining"
        case rateLimited = "rate_limited"
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String
    public var ref: String

    public init(_ code: Code, _ message: String, ref: String = "") {
        self.code = code
        self.message = message
        self.ref = ref
    }

    static let tooLarge = RTCError(.messageTooLarge, "messages are at most \(RTCMessage.maximumSize) bytes")

    /// The HTTP status of a refused POST.
    var status: Int {
        switch self.code {
        case .unknownCall, .unknownUser: 404
        case .callExists: 409
        case .messageTooLarge: 413
        case .internalError, .recordingFailed: 500
        case .draining: 503
        default: 400
        }
    }
}
