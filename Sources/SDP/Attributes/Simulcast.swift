/// `a=rid:<id> <send|recv> [<restrictions>]` (RFC 8851 §10).
public struct RIDAttribute: SDPAttributeValue {
    public enum Direction: String, Sendable { case send, recv }

    public static let attributeName = "rid"
    public var id: String
    public var direction: Direction
    /// Restrictions such as `pt=96;max-width=1280`, kept as text.
    public var restrictions: String?

    public init(id: String, direction: Direction, restrictions: String? = nil) {
        self.id = id
        self.direction = direction
        self.restrictions = restrictions
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let direction = Direction(rawValue: String(parts[1])),
            parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { return nil }
        self.id = String(parts[0])
        self.direction = direction
        self.restrictions = parts.count > 2 ? String(parts[2]) : nil
    }

    public var sdpValue: String {
        "\(self.id) \(self.direction.rawValue)" + (self.restrictions.map { " \($0)" } ?? "")
    }
}

/// `a=simulcast:` (RFC 8853 §5.1): `send <streams>` and/or `recv <streams>`, where
/// streams are separated by `;`, alternatives by `,`, and `~` marks a paused stream.
public struct SimulcastAttribute: SDPAttributeValue {
    public struct Stream: Equatable, Sendable {
        public var rid: String
        public var isPaused: Bool

        public init(rid: String, isPaused: Bool = false) {
            self.rid = rid
            self.isPaused = isPaused
        }
    }

    public static let attributeName = "simulcast"
    /// Each entry is one stream, given as its alternatives in order of preference.
    public var send: [[Stream]]
    public var receive: [[Stream]]

    public init(send: [[Stream]] = [], receive: [[Stream]] = []) {
        self.send = send
        self.receive = receive
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ")
        guard parts.count == 2 || parts.count == 4 else { return nil }
        self.send = []
        self.receive = []
        for index in stride(from: 0, to: parts.count, by: 2) {
            var streams: [[Stream]] = []
            for stream in parts[index + 1].split(separator: ";") {
                let alternatives = stream.split(separator: ",").map { alternative in
                    alternative.hasPrefix("~")
                        ? Stream(rid: String(alternative.dropFirst()), isPaused: true)
                        : Stream(rid: String(alternative))
                }
                guard !alternatives.isEmpty, alternatives.allSatisfy({ !$0.rid.isEmpty }) else { return nil }
                streams.append(alternatives)
            }
            switch parts[index] {
            case "send" where self.send.isEmpty: self.send = streams
            case "recv" where self.receive.isEmpty: self.receive = streams
            default: return nil
            }
        }
    }

    public var sdpValue: String {
        func render(_ streams: [[Stream]]) -> String {
            streams.map { $0.map { ($0.isPaused ? "~" : "") + $0.rid }.joined(separator: ",") }.joined(separator: ";")
        }
        var parts: [String] = []
        if !self.send.isEmpty { parts.append("send \(render(self.send))") }
        if !self.receive.isEmpty { parts.append("recv \(render(self.receive))") }
        return parts.joined(separator: " ")
    }
}
