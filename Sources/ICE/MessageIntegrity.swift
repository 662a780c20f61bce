internal import COpenSSL

/// HMAC-SHA1 under one key (STUN's MESSAGE-INTEGRITY, RFC 8489 §14.5), its OpenSSL
/// context kept: OpenSSL 3's one-shot `HMAC` fetches the algorithm and builds a context
/// for every call, which was half of what answering a binding request cost.
///
/// Not thread-safe: one belongs to an agent, on its worker.
final class MessageIntegrity {
    nonisolated(unsafe) private static let algorithm = EVP_MAC_fetch(nil, "HMAC", nil)
    /// The parameter's name: an `OSSL_PARAM` keeps the pointer it is given, and a
    /// `String` passed as a C string lives only for the call that builds the parameter
    /// (AddressSanitizer caught `EVP_MAC_init` reading it freed); a literal's bytes stay.
    private static let digestKey: StaticString = "digest"
    private let context: OpaquePointer?

    init(key: [UInt8]) {
        let context = Self.algorithm.flatMap { EVP_MAC_CTX_new($0) }
        var digest = Array("SHA1".utf8CString)
        let initialized = digest.withUnsafeMutableBufferPointer { digest in
            var parameters = [
                OSSL_PARAM_construct_utf8_string(
                    UnsafeRawPointer(Self.digestKey.utf8Start).assumingMemoryBound(to: CChar.self),
                    digest.baseAddress,
                    0
                ),
                OSSL_PARAM_construct_end(),
            ]
            // A pointer even for an empty key (HMAC allows one; OpenSSL wants the pointer).
            let keyBytes = key.isEmpty ? [0] : key
            return keyBytes.withUnsafeBufferPointer { bytes in
                EVP_MAC_init(context, bytes.baseAddress, key.count, &parameters)
            }
        }
        if initialized != 1 { EVP_MAC_CTX_free(context) }
        self.context = initialized == 1 ? context : nil
    }

    deinit {
        EVP_MAC_CTX_free(self.context)
    }

    /// The 20-byte code of `message`; all zeros if OpenSSL failed (it then verifies nothing).
    func code(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: 20)
        guard let context = self.context, EVP_MAC_init(context, nil, 0, nil) == 1 else { return code }
        var length = 0
        guard EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1,
            EVP_MAC_final(context, &code, &length, 20) == 1, length == 20
        else { return [UInt8](repeating: 0, count: 20) }
        return code
    }
}
