/// What a datagram on a WebRTC 5-tuple carries, from its first byte (RFC 7983 §7,
/// with RFC 5761 §4 to tell RTCP from RTP).
///
/// ```
///              +----------------+
///              |        [0..3] -+--> STUN
///              |      [16..19] -+--> ZRTP
///  packet -->  |      [20..63] -+--> DTLS
///              |      [64..79] -+--> TURN channel
///              |    [128..191] -+--> RTP / RTCP (second byte 192–223: RTCP)
///              +----------------+
/// ```
public enum DatagramKind: Equatable, Sendable {
    case stun
    case zrtp
    case dtls
    case turnChannel
    case rtp
    case rtcp
    case unknown

    /// Classifies a datagram by its first two bytes. Never reads past `bytes`.
    @inlinable public init(firstByte: UInt8, secondByte: UInt8?) {
        switch firstByte {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannel
        case 128...191:
            guard let secondByte else {
                self = .unknown
                return
            }
            // RFC 5761 §4: RTCP packet types 192–223 collide with RTP PT 64–95 + marker.
            self = (192...223).contains(secondByte) ? .rtcp : .rtp
        default: self = .unknown
        }
    }

    /// Classifies a datagram by its leading bytes; an empty datagram is `.unknown`.
    @inlinable public init(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else {
            self = .unknown
            return
        }
        self.init(firstByte: first, secondByte: bytes.count > 1 ? bytes[1] : nil)
    }
}
