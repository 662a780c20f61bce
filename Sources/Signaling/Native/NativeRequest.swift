import SFU

/// One request of the native protocol, checked field by field.
struct NativeRequest {
    enum Kind: String, CaseIterable {
        case join, publish, subscribe, unsubscribe, pause, resume, `switch`, answer, restart, trickle, mute, layers,
            record, unpublish, leave, ping
    }

    var kind: Kind
    /// Echoed in the reply, so that a client can match replies to requests.
    var id: JSONValue
    var fields: [String: JSONValue]

    static let maximumNameLength = 128

    init(parsing text: String) throws(NativeError) {
        guard let value = JSONValue.parse(text) else { throw NativeError(.invalidJSON, "the message is not JSON") }
        guard let object = value.objectValue else { throw NativeError(.invalidMessage, "a message is a JSON object") }
        self.fields = object
        let id = object["id"] ?? .null
        switch id {
        case .null, .string, .number: self.id = id
        default: throw NativeError.field("id", "a string or a number")
        }
        guard let type = object["type"] else { throw NativeError(.invalidMessage, "'type' is missing") }
        guard let name = type.stringValue else { throw NativeError.field("type", "a string") }
        guard let kind = Kind(rawValue: name) else {
            throw NativeError(.unknownType, "unknown message type '\(name.prefix(64))'")
        }
        self.kind = kind
    }

    /// A required string field.
    func string(_ name: String, maximumLength: Int = 1 << 20) throws(NativeError) -> String {
        guard let value = self.fields[name], !value.isNull else {
            throw NativeError(.invalidMessage, "'\(name)' is missing")
        }
        guard let string = value.stringValue else { throw NativeError.field(name, "a string") }
        guard string.utf8.count <= maximumLength else {
            throw NativeError.field(name, "at most \(maximumLength) bytes long")
        }
        return string
    }

    /// An optional string field.
    func optionalString(_ name: String, maximumLength: Int = 1 << 20) throws(NativeError) -> String? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        return try self.string(name, maximumLength: maximumLength)
    }

    func optionalBool(_ name: String) throws(NativeError) -> Bool? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw NativeError.field(name, "true or false") }
        return bool
    }

    /// An optional integer within `range`.
    func optionalInteger(_ name: String, in range: ClosedRange<Int>) throws(NativeError) -> Int? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw NativeError.field(name, "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// An optional list of strings.
    func optionalStrings(_ name: String) throws(NativeError) -> [String]? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        guard let array = value.arrayValue, array.count <= 1024 else {
            throw NativeError.field(name, "an array of at most 1024 strings")
        }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else { throw NativeError.field(name, "an array of strings") }
            strings.append(string)
        }
        return strings
    }

    /// The transport a trickle or state concerns: "publish" or "subscribe".
    func target() throws(NativeError) -> TransportRole {
        let name = try self.string("target", maximumLength: 16)
        guard let role = TransportRole(rawValue: name) else {
            throw NativeError.field("target", "publish or subscribe")
        }
        return role
    }

    /// A room name: 1 to 128 characters, no control characters.
    func roomName() throws(NativeError) -> String {
        let name = try self.string("room", maximumLength: 4 * Self.maximumNameLength)
        guard !name.isEmpty, name.count <= Self.maximumNameLength,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw NativeError(.invalidRoomName, "a room name has 1 to 128 characters and no control characters")
        }
        return name
    }
}
