/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
public struct RTPMap: SDPAttributeValue {
    public static let attributeName = "rtpmap"
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: Int
    public var channels: Int?

    public init(payloadType: UInt8, encodingName: String, clockRate: Int, channels: Int? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = UInt8(parts[0]), pt < 128 else { return nil }
        let encoding = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(encoding.count), !encoding[0].isEmpty, let rate = Int(encoding[1]), rate > 0 else {
            return nil
        }
        self.payloadType = pt
        self.encodingName = String(encoding[0])
        self.clockRate = rate
        if encoding.count == 3 {
            guard let channels = Int(encoding[2]), channels > 0 else { return nil }
            self.channels = channels
        } else {
            self.channels = nil
        }
    }

    public var sdpValue: String {
        "\(self.payloadType) \(self.encodingName)/\(self.clockRate)" + (self.channels.map { "/\($0)" } ?? "")
    }
}

/// `a=fmtp:<payload type> <parameters>` (RFC 8866 §6.15); parameters are usually
/// `key=value` pairs separated by `;`.
public struct FormatParameters: SDPAttributeValue {
    public static let attributeName = "fmtp"
    public var payloadType: UInt8
    public var parameters: String

    public init(payloadType: UInt8, parameters: String) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = UInt8(parts[0]), pt < 128 else { return nil }
        self.payloadType = pt
        self.parameters = String(parts[1])
    }

    public var sdpValue: String { "\(self.payloadType) \(self.parameters)" }

    /// The `key=value` pairs, keys lowercased; a bare token maps to "".
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        for pair in self.parameters.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let key = kv[0].trimmingWhitespace().lowercased()
            result[key] = kv.count > 1 ? String(kv[1].trimmingWhitespace()) : ""
        }
        return result
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameter>]` (RFC 4585 §4.2).
public struct RTCPFeedback: SDPAttributeValue, Hashable {
    public static let attributeName = "rtcp-fb"
    /// `nil` for `*` (all payload types).
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2 else { return nil }
        if parts[0] == "*" {
            self.payloadType = nil
        } else {
            guard let pt = UInt8(parts[0]), pt < 128 else { return nil }
            self.payloadType = pt
        }
        self.type = String(parts[1])
        self.parameter = parts.count > 2 ? String(parts[2]) : nil
    }

    public var sdpValue: String {
        "\(self.payloadType.map(String.init) ?? "*") \(self.type)" + (self.parameter.map { " \($0)" } ?? "")
    }

    /// The same feedback for another payload type.
    public func with(payloadType: UInt8) -> RTCPFeedback {
        RTCPFeedback(payloadType: payloadType, type: self.type, parameter: self.parameter)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
