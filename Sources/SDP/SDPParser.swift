/// Parses session descriptions (RFC 8866 §5), validating the lines and the WebRTC
/// attributes SwiftSFU interprets. Anything it does not interpret is kept verbatim.
struct SDPParser {
    /// Attributes whose value must parse as a typed value, by name.
    static let typedAttributes: [String: @Sendable (String) -> Bool] = [
        RTPMap.attributeName: { RTPMap(sdpValue: $0) != nil },
        FormatParameters.attributeName: { FormatParameters(sdpValue: $0) != nil },
        RTCPFeedback.attributeName: { RTCPFeedback(sdpValue: $0) != nil },
        ExtensionMap.attributeName: { ExtensionMap(sdpValue: $0) != nil },
        Candidate.attributeName: { Candidate(sdpValue: $0) != nil },
        Fingerprint.attributeName: { Fingerprint(sdpValue: $0) != nil },
        SetupRole.attributeName: { SetupRole(sdpValue: $0) != nil },
        SSRCAttribute.attributeName: { SSRCAttribute(sdpValue: $0) != nil },
        SSRCGroup.attributeName: { SSRCGroup(sdpValue: $0) != nil },
        MediaGroup.attributeName: { MediaGroup(sdpValue: $0) != nil },
        MediaStreamID.attributeName: { MediaStreamID(sdpValue: $0) != nil },
        RIDAttribute.attributeName: { RIDAttribute(sdpValue: $0) != nil },
        SimulcastAttribute.attributeName: { SimulcastAttribute(sdpValue: $0) != nil },
        "mid": { !$0.isEmpty && $0.count <= 255 },
        "ice-ufrag": { !$0.isEmpty },
        "ice-pwd": { !$0.isEmpty },
        "sctp-port": { UInt16($0) != nil },
        "max-message-size": { UInt64($0) != nil },
    ]

    /// Attributes that may appear at most once per section.
    static let singleAttributes: Set<String> = ["mid", "ice-ufrag", "ice-pwd", "setup", "msid-semantic", "sctp-port"]

    /// Upper bound on the text accepted; a browser offer is a few kilobytes.
    static let maximumLength = 1 << 20

    static func parse(_ text: String) throws(SDPError) -> SessionDescription {
        guard text.utf8.count <= Self.maximumLength else { throw .malformedLine(line: 0) }
        var version: Substring?
        var origin: SessionDescription.Origin?
        var sessionName: String?
        var sessionLines: [SDPLine] = []
        var sessionAttributes: [SDPAttribute] = []
        var media: [MediaDescription] = []
        var number = 0

        // NOTE: "\r\n" is one Character in Swift, so split on newline characters, not on "\n".
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            guard line.count >= 2, let type = line.first, type.isASCII, type.isLowercase,
                line[line.index(after: line.startIndex)] == "="
            else { throw .malformedLine(line: number) }
            let value = line.dropFirst(2)
            if version == nil {
                guard type == "v" else { throw .missingLine(type: "v") }
                guard value == "0" else { throw .unsupportedVersion }
                version = value
                continue
            }
            switch type {
            case "v":
                throw .duplicatedLine(line: number, type: "v")
            case "o":
                guard origin == nil, media.isEmpty else { throw .duplicatedLine(line: number, type: "o") }
                origin = try Self.parseOrigin(value, line: number)
            case "s":
                guard sessionName == nil, media.isEmpty else { throw .duplicatedLine(line: number, type: "s") }
                sessionName = String(value)
            case "m":
                media.append(try Self.parseMediaLine(value, line: number))
            case "a":
                let attribute = try Self.validatedAttribute(value, line: number)
                if media.isEmpty {
                    try Self.checkSingle(attribute, in: sessionAttributes, line: number)
                    sessionAttributes.append(attribute)
                } else {
                    try Self.checkSingle(attribute, in: media[media.count - 1].attributes, line: number)
                    media[media.count - 1].attributes.append(attribute)
                }
            case "c", "b", "i", "k":
                let sdpLine = SDPLine(type, String(value))
                if media.isEmpty {
                    if type == "c" || type == "i", sessionLines.contains(where: { $0.type == type }) {
                        throw .duplicatedLine(line: number, type: type)
                    }
                    sessionLines.append(sdpLine)
                } else {
                    if type == "c" || type == "i", media[media.count - 1].lines.contains(where: { $0.type == type }) {
                        throw .duplicatedLine(line: number, type: type)
                    }
                    media[media.count - 1].lines.append(sdpLine)
                }
            case "t", "r", "u", "e", "p", "z":
                guard media.isEmpty else { throw .malformedLine(line: number) }
                sessionLines.append(SDPLine(type, String(value)))
            default:
                throw .malformedLine(line: number)
            }
        }
        guard version != nil else { throw .missingLine(type: "v") }
        guard let origin else { throw .missingLine(type: "o") }
        guard let sessionName else { throw .missingLine(type: "s") }
        guard sessionLines.contains(where: { $0.type == "t" }) else { throw .missingLine(type: "t") }
        return SessionDescription(
            origin: origin,
            sessionName: sessionName,
            lines: sessionLines,
            attributes: sessionAttributes,
            media: media
        )
    }

    static func parseOrigin(_ value: Substring, line: Int) throws(SDPError) -> SessionDescription.Origin {
        let f = value.split(separator: " ")
        guard f.count == 6, let sessionVersion = UInt64(f[2]) else { throw .malformedValue(line: line, field: "o=") }
        return SessionDescription.Origin(
            username: String(f[0]),
            sessionID: String(f[1]),
            sessionVersion: sessionVersion,
            networkType: String(f[3]),
            addressType: String(f[4]),
            address: String(f[5])
        )
    }

    static func parseMediaLine(_ value: Substring, line: Int) throws(SDPError) -> MediaDescription {
        let f = value.split(separator: " ")
        guard f.count >= 4, !f[0].isEmpty else { throw .malformedValue(line: line, field: "m=") }
        let portParts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portParts.count <= 2, let port = Int(portParts[0]), (0...65535).contains(port) else {
            throw .malformedValue(line: line, field: "m= port")
        }
        var portCount: Int?
        if portParts.count == 2 {
            guard let count = Int(portParts[1]), count > 0 else { throw .malformedValue(line: line, field: "m= port") }
            portCount = count
        }
        let proto = String(f[2])
        let formats = f[3...].map(String.init)
        if proto.contains("RTP/") {
            guard formats.allSatisfy({ UInt8($0).map { $0 < 128 } ?? false }) else {
                throw .malformedValue(line: line, field: "m= payload type")
            }
        }
        return MediaDescription(kind: String(f[0]), port: port, portCount: portCount, proto: proto, formats: formats)
    }

    static func validatedAttribute(_ value: Substring, line: Int) throws(SDPError) -> SDPAttribute {
        let attribute = SDPAttribute(line: value)
        guard !attribute.name.isEmpty else { throw .malformedValue(line: line, field: "a=") }
        if let check = Self.typedAttributes[attribute.name] {
            guard let value = attribute.value, check(value) else {
                throw .malformedValue(line: line, field: "a=\(attribute.name)")
            }
        }
        return attribute
    }

    static func checkSingle(_ attribute: SDPAttribute, in existing: [SDPAttribute], line: Int) throws(SDPError) {
        if Self.singleAttributes.contains(attribute.name), existing.contains(attribute.name) {
            throw .malformedValue(line: line, field: "a=\(attribute.name) repeated")
        }
    }
}

extension SessionDescription {
    /// Parses `text` (CRLF or LF line endings).
    public init(parsing text: String) throws(SDPError) {
        self = try SDPParser.parse(text)
    }
}
