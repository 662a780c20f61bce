/// A wrapping counter compared in serial-number arithmetic (RFC 1982): the type of RTP
/// sequence numbers (16 bits) and timestamps (32 bits), RFC 3550 §5.1.
///
/// `b` is newer than `a` when it is less than half the number space ahead. That is not
/// a total order, so the type offers `isNewer(than:)` and `distance(to:)` instead of
/// `Comparable`. All arithmetic wraps.
@frozen
public struct SerialNumber<Raw: FixedWidthInteger & UnsignedInteger & Sendable>:
    RawRepresentable, Hashable, Sendable, CustomStringConvertible
{
    public var rawValue: Raw

    @inlinable public init(rawValue: Raw) { self.rawValue = rawValue }
    @inlinable public init(_ value: Raw) { self.rawValue = value }

    /// Signed distance from `self` to `other`: in `-32768...32767` for 16 bits.
    @inlinable public func distance(to other: Self) -> Int {
        let forward = other.rawValue &- self.rawValue  // wraps by design
        let half = Raw(1) << (Raw.bitWidth - 1)
        return forward < half ? Int(forward) : -Int(Raw.max - forward) - 1
    }

    /// Whether `self` comes after `other` in serial-number order.
    @inlinable public func isNewer(than other: Self) -> Bool {
        other.distance(to: self) > 0
    }

    /// The number `n` steps ahead (or behind, for negative `n`), wrapping.
    @inlinable public func advanced(by n: Int) -> Self {
        Self(self.rawValue &+ Raw(truncatingIfNeeded: n))  // wraps by design
    }

    public var description: String { String(self.rawValue) }
}

/// A 16-bit RTP sequence number (RFC 3550 §5.1).
public typealias SequenceNumber = SerialNumber<UInt16>

/// A 32-bit RTP media timestamp in clock-rate ticks (RFC 3550 §5.1).
public typealias RTPTimestamp = SerialNumber<UInt32>

/// Extends wrapping serial numbers to a monotonic 64-bit count (RFC 3550 appendix A.1).
///
/// Reordered (older) numbers unwrap to values below the newest one instead of jumping a
/// whole cycle ahead; the first number seen unwraps to itself.
public struct SerialNumberUnwrapper<Raw: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    @usableFromInline var last: Int64?

    public init() {}

    /// The 64-bit value of `number`, relative to the numbers seen before.
    @inlinable public mutating func unwrap(_ number: SerialNumber<Raw>) -> Int64 {
        guard let last = self.last else {
            self.last = Int64(number.rawValue)
            return Int64(number.rawValue)
        }
        let delta = SerialNumber<Raw>(Raw(truncatingIfNeeded: last)).distance(to: number)
        let value = last &+ Int64(delta)
        if delta > 0 { self.last = value }
        return value
    }
}

/// Unwraps 16-bit sequence numbers to 64 bits.
public typealias SequenceNumberUnwrapper = SerialNumberUnwrapper<UInt16>

/// Unwraps 32-bit timestamps to 64 bits.
public typealias RTPTimestampUnwrapper = SerialNumberUnwrapper<UInt32>
