import Synchronization

/// Requests and error replies of the signaling faces, by face and by code, for
/// `/metrics`. Counted once per message, off the media path.
public final class SignalingCounters: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var face: String
        public var name: String

        public static func < (lhs: Key, rhs: Key) -> Bool { (lhs.face, lhs.name) < (rhs.face, rhs.name) }
    }

    private let requests = Mutex<[Key: UInt64]>([:])
    private let errors = Mutex<[Key: UInt64]>([:])
    private let connections = Mutex<[String: Int]>([:])
    /// HTTP deliveries (webhooks, RTC callbacks) by kind (`face`) and result (`name`).
    private let deliveries = Mutex<[Key: UInt64]>([:])
    /// What a face holds open now, by kind (`name`): Janus sessions and handles, RTC calls.
    private let open = Mutex<[Key: Int]>([:])
    /// What `ClientLimits` refused, by limit.
    private let limitRefusals = Mutex<[String: UInt64]>([:])

    public init() {}

    public func countLimitRefusal(_ limit: ClientLimits.Limit) {
        self.limitRefusals.withLock { $0[limit.rawValue, default: 0] &+= 1 }
    }

    /// Refusals by limit, every limit named (0 when none).
    public var limitRefusalCounts: [(limit: String, count: UInt64)] {
        let counts = self.limitRefusals.withLock { $0 }
        return ClientLimits.Limit.allCases.map { ($0.rawValue, counts[$0.rawValue] ?? 0) }
    }

    public func countRequest(face: String, type: String) {
        self.requests.withLock { $0[Key(face: face, name: type), default: 0] &+= 1 }
    }

    public func countError(face: String, code: String) {
        self.errors.withLock { $0[Key(face: face, name: code), default: 0] &+= 1 }
    }

    public func connectionOpened(face: String) { self.connections.withLock { $0[face, default: 0] += 1 } }
    public func connectionClosed(face: String) { self.connections.withLock { $0[face, default: 0] -= 1 } }

    public func countDelivery(kind: String, result: String) {
        self.deliveries.withLock { $0[Key(face: kind, name: result), default: 0] &+= 1 }
    }

    public func setOpen(face: String, kind: String, count: Int) {
        self.open.withLock { $0[Key(face: face, name: kind)] = count }
    }

    public var openCounts: [Key: Int] { self.open.withLock { $0 } }
    public var deliveryCounts: [Key: UInt64] { self.deliveries.withLock { $0 } }
    public var requestCounts: [Key: UInt64] { self.requests.withLock { $0 } }
    public var errorCounts: [Key: UInt64] { self.errors.withLock { $0 } }
    public var openConnections: [String: Int] { self.connections.withLock { $0 } }

    public func errors(face: String, code: String) -> UInt64 {
        self.errors.withLock { $0[Key(face: face, name: code)] ?? 0 }
    }
}
