/// Typed access to the fields of a VideoRoom request body, with Janus's errors: 429 for
/// a missing element, 430 for one of the wrong type. Strings are bounded (a deliberate
/// difference: Janus takes any length), so that one request cannot grow the server.
struct JanusFields {
    let fields: [String: JSONValue]

    static let maximumStringLength = 4096

    init(_ fields: [String: JSONValue]) {
        self.fields = fields
    }

    func has(_ name: String) -> Bool { self.fields[name].map { !$0.isNull } ?? false }

    func value(_ name: String) -> JSONValue? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        return value
    }

    func string(_ name: String, maximumLength: Int = Self.maximumStringLength) throws(VideoRoomError) -> String? {
        guard let value = self.value(name) else { return nil }
        guard let string = value.stringValue else { throw .invalidElement(name, "a string") }
        guard string.utf8.count <= maximumLength else {
            throw .invalidElement(name, "a string of at most \(maximumLength) bytes")
        }
        return string
    }

    func requiredString(
        _ name: String,
        maximumLength: Int = Self.maximumStringLength
    ) throws(VideoRoomError)
        -> String
    {
        guard let string = try self.string(name, maximumLength: maximumLength) else { throw .missing(name) }
        return string
    }

    func bool(_ name: String) throws(VideoRoomError) -> Bool? {
        guard let value = self.value(name) else { return nil }
        guard let bool = value.boolValue else { throw .invalidElement(name, "a boolean") }
        return bool
    }

    /// A non-negative integer (Janus's `JANUS_JSON_PARAM_POSITIVE`).
    func positive(_ name: String) throws(VideoRoomError) -> UInt64? {
        guard let value = self.value(name) else { return nil }
        guard let int = value.intValue, int >= 0 else { throw .invalidElement(name, "a positive integer") }
        return UInt64(int)
    }

    func requiredPositive(_ name: String) throws(VideoRoomError) -> UInt64 {
        guard let value = try self.positive(name) else { throw .missing(name) }
        return value
    }

    func integer(_ name: String) throws(VideoRoomError) -> Int? {
        guard let value = self.value(name) else { return nil }
        guard let int = value.intValue else { throw .invalidElement(name, "an integer") }
        return int
    }

    func array(_ name: String, maximumCount: Int = 256) throws(VideoRoomError) -> [JSONValue]? {
        guard let value = self.value(name) else { return nil }
        guard let array = value.arrayValue else { throw .invalidElement(name, "an array") }
        guard array.count <= maximumCount else {
            throw .invalidElement(name, "an array of at most \(maximumCount) elements")
        }
        return array
    }

    /// An array of objects, each read through `JanusFields`.
    func objects(_ name: String, maximumCount: Int = 256) throws(VideoRoomError) -> [JanusFields]? {
        guard let array = try self.array(name, maximumCount: maximumCount) else { return nil }
        return try array.map { element throws(VideoRoomError) in
            guard let object = element.objectValue else { throw .invalidElement(name, "an array of objects") }
            return JanusFields(object)
        }
    }

    /// An array of strings (tokens of an `allowed` list).
    func strings(_ name: String, maximumCount: Int = 1024) throws(VideoRoomError) -> [String]? {
        guard let array = try self.array(name, maximumCount: maximumCount) else { return nil }
        return try array.map { element throws(VideoRoomError) in
            guard let string = element.stringValue, string.utf8.count <= Self.maximumStringLength else {
                throw .invalidElement(name, "an array of strings")
            }
            return string
        }
    }
}

/// Typed access to the envelope of a Janus core request, with the core's errors: 456
/// for a missing element, 467 for one of the wrong type.
struct JanusEnvelope {
    let fields: [String: JSONValue]
    let verb: String
    let transaction: String

    static let maximumTransactionLength = 256

    init(parsing text: String) throws(JanusError) {
        guard let value = JSONValue.parse(text) else { throw .invalidJSON("the request is not valid JSON") }
        guard let object = value.objectValue else { throw .invalidJSONObject }
        try self.init(object)
    }

    init(_ object: [String: JSONValue]) throws(JanusError) {
        self.fields = object
        guard let transaction = object["transaction"], !transaction.isNull else { throw .missing("transaction") }
        guard let text = transaction.stringValue, text.utf8.count <= Self.maximumTransactionLength else {
            throw .invalidType("transaction", "a string")
        }
        self.transaction = text
        guard let verb = object["janus"], !verb.isNull else { throw .missing("janus") }
        guard let name = verb.stringValue else { throw .invalidType("janus", "a string") }
        self.verb = name
    }

    /// Whether the error concerns the `janus` element: Janus sends those without the
    /// transaction (and with the session, when the request named one).
    static func isAboutVerb(_ error: JanusError) -> Bool {
        error == .missing("janus") || error == .invalidType("janus", "a string")
    }

    /// The transaction of a request that may be broken, for its error reply.
    static func transaction(of text: String) -> String? {
        JSONValue.parse(text)?["transaction"]?.stringValue.flatMap {
            $0.utf8.count <= Self.maximumTransactionLength ? $0 : nil
        }
    }

    /// An id element (`session_id`, `handle_id`): a positive integer. Anything else
    /// counts as no id, as in Janus (which then answers at the outer path).
    func id(_ name: String) -> UInt64? {
        guard let int = self.fields[name]?.intValue, int > 0 else { return nil }
        return UInt64(int)
    }

    /// Whether the request carries neither `session_id` nor `handle_id`.
    var isUnaddressed: Bool { self.fields["session_id"] == nil && self.fields["handle_id"] == nil }

    func string(_ name: String, maximumLength: Int = JanusFields.maximumStringLength) throws(JanusError) -> String? {
        guard let value = self.fields[name], !value.isNull else { return nil }
        guard let string = value.stringValue, string.utf8.count <= maximumLength else {
            throw .invalidType(name, "a string")
        }
        return string
    }
}
