public import Glibc

/// Answers the selected pair's STUN binding requests (RFC 8489 §6.3, RFC 8445 §7.3) on
/// the RTP socket, so that a peer's consent checks (RFC 7675; every 2 s from Pion, every
/// few seconds from browsers) no longer wake libnice, whose handling of each one was most
/// of what an idle connected peer cost (docs/decisions.md, "The selected pair's checks
/// are answered around libnice").
///
/// Only a request that checks out in every way is answered: a binding request with this
/// pair's USERNAME, a MESSAGE-INTEGRITY that verifies under the local password, a
/// FINGERPRINT that matches when there is one, and no comprehension-required attribute
/// it does not know. Anything else is refused with a reason and counted. The reuseport
/// program steers to the RTP socket only the binding requests from the selected remote
/// address, and only while this responder is set (`ICEAgent.updateRTPSocket`); during an
/// ICE restart libnice answers everything again.
public struct BindingResponder {
    /// Why a steered request went unanswered.
    public enum Refusal: Error, Equatable {
        case malformed
        case notABindingRequest
        case wrongUsername
        case noIntegrity
        case integrityMismatch
        case fingerprintMismatch
        case unknownRequiredAttribute(UInt16)
    }

    /// "local ufrag:remote ufrag", the USERNAME a request to this agent carries.
    let username: [UInt8]
    /// HMAC-SHA1 under the local password: the request's integrity and the answer's.
    let authenticator: MessageIntegrity

    public init(localUfrag: String, localPassword: String, remoteUfrag: String) {
        self.username = Array("\(localUfrag):\(remoteUfrag)".utf8)
        self.authenticator = MessageIntegrity(key: Array(localPassword.utf8))
    }

    static let magicCookie: UInt32 = 0x2112_A442
    static let headerLength = 20

    enum Attribute {
        static let username: UInt16 = 0x0006
        static let messageIntegrity: UInt16 = 0x0008
        static let xorMappedAddress: UInt16 = 0x0020
        static let priority: UInt16 = 0x0024
        static let useCandidate: UInt16 = 0x0025
        static let fingerprint: UInt16 = 0x8028
        static let iceControlled: UInt16 = 0x8029
        static let iceControlling: UInt16 = 0x802A
    }

    /// Writes the success response to `bytes`, a request (from `source`) into `response`.
    public func answer(
        _ bytes: UnsafeRawBufferPointer,
        from source: sockaddr_storage,
        into response: inout [UInt8]
    )
        throws(Refusal)
    {
        guard bytes.count >= Self.headerLength, bytes.count <= 1_500 else { throw .malformed }
        guard Self.uint16(bytes, 0) == 0x0001 else { throw .notABindingRequest }
        let length = Int(Self.uint16(bytes, 2))
        guard Self.uint32(bytes, 4) == Self.magicCookie, length % 4 == 0, Self.headerLength + length == bytes.count
        else { throw .malformed }
        var offset = Self.headerLength
        var usernameMatches = false
        var integrityAt: Int?
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .malformed }
            let type = Self.uint16(bytes, offset)
            let valueLength = Int(Self.uint16(bytes, offset + 2))
            let valueStart = offset + 4
            let next = valueStart + (valueLength + 3) & ~3
            guard next <= bytes.count else { throw .malformed }
            switch type {
            case Attribute.username:
                usernameMatches = self.username.elementsEqual(bytes[valueStart..<valueStart + valueLength])
            case Attribute.messageIntegrity:
                guard valueLength == 20 else { throw .malformed }
                guard usernameMatches else { throw .wrongUsername }
                guard
                    self.integrity(of: bytes, upTo: offset, messageLength: next - Self.headerLength)
                        .elementsEqual(bytes[valueStart..<valueStart + 20])
                else { throw .integrityMismatch }
                integrityAt = offset
            case Attribute.fingerprint:
                guard valueLength == 4, next == bytes.count else { throw .malformed }
                let expected = Self.fingerprint(of: bytes, upTo: offset, messageLength: next - Self.headerLength)
                guard Self.uint32(bytes, valueStart) == expected else { throw .fingerprintMismatch }
            case Attribute.priority, Attribute.useCandidate, Attribute.iceControlled, Attribute.iceControlling:
                break
            default:
                // RFC 8489 §14: 0x0000-0x7FFF must be understood; 0x8000-0xFFFF may be skipped.
                if type < 0x8000 { throw .unknownRequiredAttribute(type) }
            }
            // Only FINGERPRINT may follow MESSAGE-INTEGRITY (RFC 8489 §14.5).
            if let integrityAt, integrityAt != offset, type != Attribute.fingerprint { throw .malformed }
            offset = next
        }
        guard usernameMatches else { throw .wrongUsername }
        guard integrityAt != nil else { throw .noIntegrity }
        self.writeResponse(to: bytes, from: source, into: &response)
    }

    /// A success response: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT.
    func writeResponse(to request: UnsafeRawBufferPointer, from source: sockaddr_storage, into response: inout [UInt8])
    {
        response.removeAll(keepingCapacity: true)
        Self.append16(0x0101, to: &response)
        Self.append16(0, to: &response)  // the length, set below
        response.append(contentsOf: request[4..<20])  // cookie and transaction ID
        Self.appendXORMappedAddress(source, mask: Array(request[4..<20]), to: &response)
        // MESSAGE-INTEGRITY over the message so far, its length counting the attribute.
        let integrityAt = response.count
        Self.setLength(integrityAt + 24 - Self.headerLength, of: &response)
        let code = response.withUnsafeBytes { self.integrity(of: $0, upTo: integrityAt, messageLength: nil) }
        Self.append16(Attribute.messageIntegrity, to: &response)
        Self.append16(20, to: &response)
        response.append(contentsOf: code)
        let fingerprintAt = response.count
        Self.setLength(fingerprintAt + 8 - Self.headerLength, of: &response)
        let fingerprint = response.withUnsafeBytes { Self.fingerprint(of: $0, upTo: fingerprintAt, messageLength: nil) }
        Self.append16(Attribute.fingerprint, to: &response)
        Self.append16(4, to: &response)
        Self.append32(fingerprint, to: &response)
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the address XORed with `mask`, the magic
    /// cookie followed by the transaction ID (an IPv4 address takes the cookie alone).
    static func appendXORMappedAddress(_ source: sockaddr_storage, mask: [UInt8], to response: inout [UInt8]) {
        var source = source
        let isIPv6 = Int32(source.ss_family) == AF_INET6
        withUnsafeBytes(of: &source) { raw in
            if isIPv6 {
                let address = raw.load(as: sockaddr_in6.self)
                append16(Attribute.xorMappedAddress, to: &response)
                append16(20, to: &response)
                append16(0x0002, to: &response)
                append16(UInt16(bigEndian: address.sin6_port) ^ 0x2112, to: &response)
                withUnsafeBytes(of: address.sin6_addr) { bytes in
                    for index in 0..<16 { response.append(bytes[index] ^ mask[index]) }
                }
            } else {
                let address = raw.load(as: sockaddr_in.self)
                append16(Attribute.xorMappedAddress, to: &response)
                append16(8, to: &response)
                append16(0x0001, to: &response)
                append16(UInt16(bigEndian: address.sin_port) ^ 0x2112, to: &response)
                append32(UInt32(bigEndian: address.sin_addr.s_addr) ^ magicCookie, to: &response)
            }
        }
    }

    /// HMAC-SHA1 under the local password of `bytes[..<end]`, with the header's length
    /// read as `messageLength` when given (RFC 8489 §14.5).
    func integrity(of bytes: UnsafeRawBufferPointer, upTo end: Int, messageLength: Int?) -> [UInt8] {
        var message = Array(bytes[..<end])
        if let messageLength { Self.setLength(messageLength, of: &message) }
        return message.withUnsafeBytes { self.authenticator.code($0) }
    }

    /// CRC-32 of `bytes[..<end]` XOR 0x5354554e (RFC 8489 §14.7), with the header's
    /// length read as `messageLength` when given.
    static func fingerprint(of bytes: UnsafeRawBufferPointer, upTo end: Int, messageLength: Int?) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for index in 0..<end {
            var byte = bytes[index]
            if let messageLength, index == 2 || index == 3 {
                byte = UInt8(truncatingIfNeeded: index == 2 ? messageLength >> 8 : messageLength)
            }
            crc = Self.crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return (crc ^ 0xFFFF_FFFF) ^ 0x5354_554E
    }

    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func uint16(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    static func uint32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(uint16(bytes, at)) << 16 | UInt32(uint16(bytes, at + 2))
    }

    static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        append16(UInt16(value >> 16), to: &bytes)
        append16(UInt16(truncatingIfNeeded: value), to: &bytes)
    }

    static func setLength(_ length: Int, of bytes: inout [UInt8]) {
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
    }
}
