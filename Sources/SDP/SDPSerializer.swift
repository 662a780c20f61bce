extension SessionDescription {
    /// The description as SDP text with CRLF line endings (RFC 8866 §5).
    public var sdp: String {
        var out = "v=0\r\n"
        out += "o=\(self.origin.sdpValue)\r\n"
        out += "s=\(self.sessionName)\r\n"
        for line in self.lines { out += "\(line.type)=\(line.value)\r\n" }
        for attribute in self.attributes { out += "a=\(attribute.text)\r\n" }
        for media in self.media { out += media.sdp }
        return out
    }
}

extension MediaDescription {
    /// The section as SDP text, from its `m=` line on.
    public var sdp: String {
        let port = self.portCount.map { "\(self.port)/\($0)" } ?? "\(self.port)"
        var out = "m=\(self.kind) \(port) \(self.proto) \(self.formats.joined(separator: " "))\r\n"
        for line in self.lines { out += "\(line.type)=\(line.value)\r\n" }
        for attribute in self.attributes { out += "a=\(attribute.text)\r\n" }
        return out
    }
}
