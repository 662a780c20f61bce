internal import COpenSSL

/// OpenSSL's thread-local error queue.
enum OpenSSLErrorQueue {
    /// The queued errors as one string, oldest first; empties the queue.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }

    /// Empties the queue, so that a later failure reports only its own errors.
    static func clear() {
        ERR_clear_error()
    }
}
