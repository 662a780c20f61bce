internal import COpenSSL

/// HMAC (RFC 2104) through OpenSSL: webhook signatures (SHA-256) and time-limited TURN
/// credentials (SHA-1, coturn's `use-auth-secret`).
public enum MessageAuthentication {
    public enum Digest: Sendable {
        case sha1, sha256
    }

    /// The authentication code of `message` under `key`.
    public static func code(_ digest: Digest, key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        // A pointer even for an empty key (HMAC allows one; OpenSSL wants the pointer).
        let key = Array(key)
        let keyBytes = key.isEmpty ? [0] : key
        let message = Array(message)
        let algorithm = digest == .sha1 ? EVP_sha1() : EVP_sha256()
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = keyBytes.withUnsafeBytes { key in
            message.withUnsafeBufferPointer { message in
                HMAC(algorithm, key.baseAddress, Int32(key.count), message.baseAddress, message.count, &output, &length)
            }
        }
        precondition(done != nil, "HMAC with a built-in digest cannot fail")
        return Array(output.prefix(Int(length)))
    }
}
