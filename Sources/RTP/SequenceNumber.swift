/// A 16-bit RTP sequence number with wrap-around arithmetic (RFC 3550 §5.1).
///
/// Comparison is serial-number arithmetic (RFC 1982): `b` is newer than `a` when it is
/// less than half the number space ahead. That is not a total order, so the type offers
/// `isNewer(than:)` and `distance(to:)` instead of `Comparable`.
@frozen
public struct SequenceNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ value: UInt16) { self.rawValue = value }

    /// Signed distance from `self` to `other`, in `-32768...32767`.
    @inlinable public func distance(to other: SequenceNumber) -> Int {
        Int(Int16(bitPattern: other.rawValue &- self.rawValue))  // wraps by design
    }

    /// Whether `self` comes after `other` in serial-number order.
    @inlinable public func isNewer(than other: SequenceNumber) -> Bool {
        other.distance(to: self) > 0
    }

    /// The number `n` steps ahead, wrapping at 2^16.
    @inlinable public func advanced(by n: Int) -> SequenceNumber {
        SequenceNumber(self.rawValue &+ UInt16(truncatingIfNeeded: n))  // wraps by design
    }

    public var description: String { String(self.rawValue) }
}

/// Extends 16-bit sequence numbers to a monotonic 64-bit count (RFC 3550 appendix A.1).
///
/// Reordered (older) numbers unwrap to values below the newest one instead of jumping a
/// whole cycle ahead; the first number seen unwraps to itself.
public struct SequenceNumberUnwrapper: Sendable {
    @usableFromInline var last: Int64?

    public init() {}

    /// The 64-bit value of `sequenceNumber`, relative to the numbers seen before.
    @inlinable public mutating func unwrap(_ sequenceNumber: SequenceNumber) -> Int64 {
        guard let last = self.last else {
            self.last = Int64(sequenceNumber.rawValue)
            return Int64(sequenceNumber.rawValue)
        }
        let delta = Int16(bitPattern: sequenceNumber.rawValue &- UInt16(truncatingIfNeeded: last))  // wraps by design
        let value = last &+ Int64(delta)
        if delta > 0 { self.last = value }
        return value
    }
}
