/// One `a=` line (RFC 8866 §5.13): a property `a=<name>` or a value `a=<name>:<value>`.
/// Attributes SwiftSFU does not know are kept as they came and written back unchanged.
public struct SDPAttribute: Equatable, Sendable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Splits the text after `a=` at its first colon.
    init(line: Substring) {
        if let colon = line.firstIndex(of: ":") {
            self.name = String(line[..<colon])
            self.value = String(line[line.index(after: colon)...])
        } else {
            self.name = String(line)
            self.value = nil
        }
    }

    /// The text after `a=`.
    public var text: String {
        guard let value else { return self.name }
        return "\(self.name):\(value)"
    }
}

/// A non-attribute line that SwiftSFU keeps in place without interpreting it further
/// (`c=`, `b=`, `t=`, `r=`, `i=`, `u=`, `e=`, `p=`, `z=`, `k=`).
public struct SDPLine: Equatable, Sendable {
    public var type: Character
    public var value: String

    public init(_ type: Character, _ value: String) {
        self.type = type
        self.value = value
    }
}

/// The list of attributes of a session or media section, with typed look-ups.
extension [SDPAttribute] {
    /// Values of every attribute called `name`, in order.
    public func values(_ name: String) -> [String] {
        self.compactMap { $0.name == name ? $0.value : nil }
    }

    /// The value of the first attribute called `name`.
    public func value(_ name: String) -> String? {
        self.first { $0.name == name }?.value
    }

    /// Whether a property or value attribute called `name` is present.
    public func contains(_ name: String) -> Bool {
        self.contains { $0.name == name }
    }

    /// Typed values of every attribute of `T`'s name that parses.
    public func typed<T: SDPAttributeValue>(_ type: T.Type) -> [T] {
        self.values(T.attributeName).compactMap { T(sdpValue: $0) }
    }
}

/// The value of a typed attribute: parsed from and written to the text after the colon.
public protocol SDPAttributeValue: Equatable, Sendable {
    /// The attribute name, without `a=` and colon.
    static var attributeName: String { get }
    /// Parses the value; `nil` when it is malformed.
    init?(sdpValue: String)
    /// The value as written after the colon.
    var sdpValue: String { get }
}

extension SDPAttributeValue {
    /// The whole attribute.
    public var attribute: SDPAttribute { SDPAttribute(Self.attributeName, self.sdpValue) }
}
