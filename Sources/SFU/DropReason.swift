/// Why the SFU dropped a datagram instead of forwarding it. Every drop is counted under
/// one of these; none is logged per packet.
public enum DropReason: Int, CaseIterable, Sendable {
    case malformedRTP
    case malformedRTCP
    case unknownDatagram
    case unknownSSRC
    case consumerPaused
    case notKeyFrame
    case unsupportedPayloadType
    /// SRTP or SRTCP authentication failed, or a replay.
    case srtpFailure
    /// Media before the DTLS handshake produced keys.
    case beforeKeys
    /// The kernel refused the send (buffer full, peer gone).
    case sendFailed
    /// A packet of a publisher's RTX stream that repairs nothing the SFU misses: a
    /// bandwidth probe, a duplicate, a late or unasked-for retransmission.
    case retransmissionStream
    /// Media that waited in the socket longer than the agent's `maximumQueueDelay`
    /// before the worker got to it: the worker is over its capacity.
    case queuedTooLong
    /// Transport-wide feedback about packets this path never sent (or no longer
    /// remembers), or on a path that numbers none.
    case unknownFeedback
    /// A NACKed packet resent to the same subscriber less than 100 ms before
    /// (`ResendLimiter`): not resent again.
    case resentRecently
    /// A NACKed packet not resent: the consumer's retransmissions reached a quarter of
    /// its path's estimate (`ResendLimiter`).
    case retransmissionBudget
    /// RTP read around libnice (`ICEAgent.onReceiveRTP`) from another address than the
    /// selected pair's remote one.
    case foreignAddress
    /// A publisher's media beyond the server's maximum incoming bitrate per publisher
    /// (`IngressBitrateLimit`, `--max-publisher-bitrate`), dropped once authenticated.
    case overBitrateLimit
}

/// A fixed array of counters indexed by `DropReason`: no allocation after init.
public struct DropCounters: Sendable, Equatable {
    private var counts: [UInt64]

    public init() {
        self.counts = Array(repeating: 0, count: DropReason.allCases.count)
    }

    public mutating func record(_ reason: DropReason) {
        self.counts[reason.rawValue] &+= 1  // rawValue indexes allCases
    }

    public subscript(reason: DropReason) -> UInt64 { self.counts[reason.rawValue] }

    public var total: UInt64 { self.counts.reduce(0, &+) }

    /// Adds another set of counts, reason by reason.
    public mutating func add(_ other: DropCounters) {
        for index in self.counts.indices { self.counts[index] &+= other.counts[index] }
    }
}
