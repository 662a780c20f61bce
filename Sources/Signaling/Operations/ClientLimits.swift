import Foundation
import Glibc
public import Hummingbird
public import NIOCore
import Synchronization

/// What one client address may hold and send on the signaling listeners: open
/// connections (TCP, so WebSockets, long polls and idle keep-alives alike), Janus
/// sessions and handles (a handle holds at most one peer connection), and requests per
/// second (HTTP requests and WebSocket messages, one token bucket per address).
/// Trusted addresses (loopback and private networks by default, where a call service's
/// backend or a proxy speaks for many users) are not limited. IPv6 clients are grouped
/// by their /64, which one subscriber usually holds whole. Refusals are counted.
public final class ClientLimits: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Open connections per address; 0 for no limit.
        public var connectionsPerAddress: Int
        /// Requests per second per address, sustained, and how many may come at once; 0
        /// for no limit.
        public var requestsPerSecond: Int
        public var requestBurst: Int
        /// Janus API sessions per address (`create`; a WebSocket's implicit session is
        /// its connection's); 0 for no limit.
        public var janusSessionsPerAddress: Int
        /// Janus API handles per address, over all its sessions (a handle holds at most
        /// one peer connection, so this bounds an address's peer connections on the Janus
        /// face); 0 for no limit.
        public var janusHandlesPerAddress: Int
        public var trusted: [AddressBlock]

        /// Loopback, RFC 1918 and unique-local IPv6 networks.
        public static let privateNetworks = [
            "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
        ].compactMap(AddressBlock.init)

        public init(
            connectionsPerAddress: Int = 64,
            requestsPerSecond: Int = 50,
            requestBurst: Int = 200,
            janusSessionsPerAddress: Int = 16,
            janusHandlesPerAddress: Int = 256,
            trusted: [AddressBlock] = Self.privateNetworks
        ) {
            self.connectionsPerAddress = connectionsPerAddress
            self.requestsPerSecond = requestsPerSecond
            self.requestBurst = requestBurst
            self.janusSessionsPerAddress = janusSessionsPerAddress
            self.janusHandlesPerAddress = janusHandlesPerAddress
            self.trusted = trusted
        }
    }

    /// Which limit refused something: the `limit` label of `sfu_client_limit_refusals_total`.
    public enum Limit: String, Sendable, CaseIterable {
        case connections
        case requests
        case sessions
        case handles
    }

    /// A client as limits see it: an IPv4 address, or an IPv6 address's /64.
    struct Key: Hashable {
        var high: UInt64
        var low: UInt64
    }

    struct Entry {
        var connections = 0
        var sessions = 0
        var handles = 0
        var tokens: Double
        var refilled: UInt64
    }

    struct State {
        var entries: [Key: Entry] = [:]
        var lastPrune: UInt64 = 0
    }

    public let configuration: Configuration
    let counters: SignalingCounters
    private let state = Mutex(State())
    /// Above this many addresses, idle entries (no connection, full bucket) are dropped,
    /// at most once a second.
    static let pruneAbove = 4096

    public init(_ configuration: Configuration, counters: SignalingCounters) {
        self.configuration = configuration
        self.counters = counters
    }

    /// The address's key, nil when it is not limited (trusted, not IP, or no limits).
    func key(_ address: SocketAddress?) -> Key? {
        guard let address, let bytes = AddressBlock.bytes(of: address) else { return nil }
        if self.configuration.trusted.contains(where: { $0.contains(bytes) }) { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        if bytes.count == 4 {
            for byte in bytes { low = low << 8 | UInt64(byte) }
        } else {
            for byte in bytes.prefix(8) { high = high << 8 | UInt64(byte) }
            low = 1 << 63
        }
        return Key(high: high, low: low)
    }

    /// What an address holds open, each counted against its own limit.
    public enum Holding: Sendable {
        /// A signaling connection (`connectionsPerAddress`).
        case connection
        /// A Janus session (`janusSessionsPerAddress`).
        case session
        /// A Janus handle (`janusHandlesPerAddress`).
        case handle

        var count: WritableKeyPath<Entry, Int> {
            switch self {
            case .connection: \.connections
            case .session: \.sessions
            case .handle: \.handles
            }
        }

        /// The limit a refusal is counted under.
        var refusal: Limit {
            switch self {
            case .connection: .connections
            case .session: .sessions
            case .handle: .handles
            }
        }
    }

    /// The most of `holding` an address may hold; 0 for no limit.
    public func limit(of holding: Holding) -> Int {
        switch holding {
        case .connection: self.configuration.connectionsPerAddress
        case .session: self.configuration.janusSessionsPerAddress
        case .handle: self.configuration.janusHandlesPerAddress
        }
    }

    /// `address` opens one more `holding`: false (counted) when it holds its limit
    /// already; otherwise call `close` once it ends.
    public func open(_ holding: Holding, from address: SocketAddress?, now: UInt64 = ClientLimits.now) -> Bool {
        let limit = self.limit(of: holding)
        guard limit > 0, let key = self.key(address) else { return true }
        let admitted = self.state.withLock { state in
            var entry = state.entries[key] ?? self.fullEntry(now)
            guard entry[keyPath: holding.count] < limit else { return false }
            entry[keyPath: holding.count] += 1
            state.entries[key] = entry
            self.prune(&state, now: now)
            return true
        }
        if !admitted { self.counters.countLimitRefusal(holding.refusal) }
        return admitted
    }

    /// One `holding` of `address` ended: its place is free again.
    public func close(_ holding: Holding, from address: SocketAddress?) {
        guard self.limit(of: holding) > 0, let key = self.key(address) else { return }
        self.state.withLock { state in
            guard var entry = state.entries[key] else { return }
            entry[keyPath: holding.count] = max(0, entry[keyPath: holding.count] - 1)
            state.entries[key] = entry
        }
    }

    /// One request from `address`: false (counted) when its bucket is empty.
    public func admitRequest(from address: SocketAddress?, now: UInt64 = ClientLimits.now) -> Bool {
        let rate = self.configuration.requestsPerSecond
        guard rate > 0, let key = self.key(address) else { return true }
        let admitted = self.state.withLock { state in
            var entry = state.entries[key] ?? self.fullEntry(now)
            let elapsed = Double(now &- entry.refilled) / 1e9
            entry.tokens = min(Double(self.configuration.requestBurst), entry.tokens + elapsed * Double(rate))
            entry.refilled = now
            let admitted = entry.tokens >= 1
            if admitted { entry.tokens -= 1 }
            state.entries[key] = entry
            self.prune(&state, now: now)
            return admitted
        }
        if !admitted { self.counters.countLimitRefusal(.requests) }
        return admitted
    }

    /// Addresses with an entry: bounded by those holding connections or recently busy.
    public var trackedAddresses: Int { self.state.withLock { $0.entries.count } }

    private func fullEntry(_ now: UInt64) -> Entry {
        Entry(tokens: Double(max(1, self.configuration.requestBurst)), refilled: now)
    }

    private func prune(_ state: inout State, now: UInt64) {
        guard state.entries.count > Self.pruneAbove, now &- state.lastPrune > 1_000_000_000 else { return }
        state.lastPrune = now
        let rate = Double(max(1, self.configuration.requestsPerSecond))
        let burst = Double(self.configuration.requestBurst)
        state.entries = state.entries.filter { _, entry in
            entry.connections > 0 || entry.sessions > 0 || entry.handles > 0
                || entry.tokens + Double(now &- entry.refilled) / 1e9 * rate < burst
        }
    }

    /// The monotonic clock, in nanoseconds.
    public static var now: UInt64 { UInt64(DispatchTime.now().uptimeNanoseconds) }
}

/// An address block in CIDR notation: `10.0.0.0/8`, `fc00::/7`, or one address.
public struct AddressBlock: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = Self.parse(first) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length, (0...bytes.count * 8).contains(length) else { return nil }
        self.bytes = bytes
        self.prefixLength = length
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = self.bytes
        _ = inet_ntop(self.bytes.count == 4 ? AF_INET : AF_INET6, &copy, &text, socklen_t(text.count))
        let address = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "\(address)/\(self.prefixLength)"
    }

    /// Whether the address's bytes (4 or 16) fall in this block.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == self.bytes.count else { return false }
        var remaining = self.prefixLength
        for index in 0..<self.bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != self.bytes[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The bytes of an IP socket address; an IPv4-mapped IPv6 address gives its IPv4 bytes.
    static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let ip):
            var raw = ip.address.sin_addr
            return withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let ip):
            var raw = ip.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            return Array(bytes.prefix(12)) == mapped ? Array(bytes.suffix(4)) : bytes
        case .unixDomainSocket:
            return nil
        }
    }
}

/// Whether a connection's next message may be read (its client address's request rate,
/// `ClientLimits`), and what the client is told when it may not.
public struct MessageAdmission: Sendable {
    let admits: @Sendable () -> Bool
    /// The reason a refused message's error gives.
    public let refusal: String

    /// Every message read: a connection no limit applies to.
    public static let unlimited = MessageAdmission(admits: { true }, refusal: "")

    /// The messages of the connection `context` opened, within `limits` (every one when
    /// there are none, or the address is unknown).
    public static func of(_ limits: ClientLimits?, for context: some RequestContext) -> MessageAdmission {
        guard let limits, limits.configuration.requestsPerSecond > 0 else { return .unlimited }
        let address = (context as? any RemoteAddressRequestContext)?.remoteAddress
        return MessageAdmission(
            admits: { limits.admitRequest(from: address) },
            refusal: "too many requests from this address: at most \(limits.configuration.requestsPerSecond) per second"
        )
    }
}
