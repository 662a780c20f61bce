/// A 32-bit RTP media timestamp with wrap-around arithmetic (RFC 3550 §5.1).
@frozen
public struct RTPTimestamp: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt32) { self.rawValue = value }

    /// Signed distance from `self` to `other` in clock ticks.
    @inlinable public func distance(to other: RTPTimestamp) -> Int {
        Int(Int32(bitPattern: other.rawValue &- self.rawValue))  // wraps by design
    }

    /// Whether `self` comes after `other` in serial-number order.
    @inlinable public func isNewer(than other: RTPTimestamp) -> Bool {
        other.distance(to: self) > 0
    }

    /// The timestamp `ticks` ahead, wrapping at 2^32.
    @inlinable public func advanced(by ticks: Int) -> RTPTimestamp {
        RTPTimestamp(self.rawValue &+ UInt32(truncatingIfNeeded: ticks))  // wraps by design
    }

    public var description: String { String(self.rawValue) }
}

/// Extends 32-bit RTP timestamps to a monotonic 64-bit count of clock ticks.
public struct RTPTimestampUnwrapper: Sendable {
    @usableFromInline var last: Int64?

    public init() {}

    /// The 64-bit value of `timestamp`, relative to the timestamps seen before.
    @inlinable public mutating func unwrap(_ timestamp: RTPTimestamp) -> Int64 {
        guard let last = self.last else {
            self.last = Int64(timestamp.rawValue)
            return Int64(timestamp.rawValue)
        }
        let delta = Int32(bitPattern: timestamp.rawValue &- UInt32(truncatingIfNeeded: last))  // wraps by design
        let value = last &+ Int64(delta)
        if delta > 0 { self.last = value }
        return value
    }
}
