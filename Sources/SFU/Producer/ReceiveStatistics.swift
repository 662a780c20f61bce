import Foundation
import RTP

/// What a receiver reports about one incoming stream (RFC 3550 §6.4.1, appendix A.3):
/// loss since the start and since the last report, the extended highest sequence
/// number, and the timing of the sender's last report for its round-trip estimate.
/// Recording a packet is a few integer operations; the report is computed once a second.
struct ReceiveStatistics {
    var unwrapper = SequenceNumberUnwrapper()
    var base: Int64?
    var highest: Int64 = 0
    var received: Int64 = 0
    var expectedAtLastReport: Int64 = 0
    var receivedAtLastReport: Int64 = 0
    /// The middle 32 bits of the NTP timestamp of the sender's last SR, and when it came.
    var lastSenderReport: UInt32 = 0
    var lastSenderReportArrival: ContinuousClock.Instant?
    /// The sender's last SR as a clock mapping: NTP wall time (seconds) ↔ RTP timestamp.
    var senderClock: (ntpSeconds: Double, rtpTimestamp: UInt32)?

    /// Counts a packet; returns its sequence number unwrapped.
    @inline(__always) @discardableResult
    mutating func record(_ sequenceNumber: SequenceNumber) -> Int64 {
        let extended = self.unwrapper.unwrap(sequenceNumber)
        if self.base == nil {
            self.base = extended
            self.highest = extended
        } else if extended > self.highest {
            self.highest = extended
        }
        self.received &+= 1
        return extended
    }

    mutating func didReceive(_ report: SenderReport, at now: ContinuousClock.Instant) {
        self.lastSenderReport = UInt32(truncatingIfNeeded: report.ntpTimestamp >> 16)
        self.lastSenderReportArrival = now
        self.senderClock = (NTPTime.seconds(report.ntpTimestamp), report.rtpTimestamp.rawValue)
    }

    /// The report block for `ssrc`, and the interval counters moved on.
    mutating func reportBlock(ssrc: SSRC, now: ContinuousClock.Instant) -> ReportBlock? {
        guard let base = self.base else { return nil }
        let expected = self.highest - base + 1
        let lost = expected - self.received
        let expectedInterval = expected - self.expectedAtLastReport
        let lostInterval = expectedInterval - (self.received - self.receivedAtLastReport)
        self.expectedAtLastReport = expected
        self.receivedAtLastReport = self.received
        let fraction = expectedInterval > 0 && lostInterval > 0 ? min(255, (lostInterval << 8) / expectedInterval) : 0
        // The cumulative count is a signed 24-bit field.
        let cumulative = Int32(clamping: max(-0x80_0000, min(0x7F_FFFF, lost)))
        var delay: UInt32 = 0
        if let arrival = self.lastSenderReportArrival {
            let elapsed = now - arrival
            delay = UInt32(clamping: Int64(elapsed / .seconds(1) * 65_536))
        }
        return ReportBlock(
            ssrc: ssrc,
            fractionLost: UInt8(fraction),
            cumulativeLost: cumulative,
            extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: self.highest),
            lastSenderReport: self.lastSenderReport,
            delaySinceLastSenderReport: delay
        )
    }
}

/// NTP timestamps (RFC 5905: seconds since 1900 in the high 32 bits, fraction in the low).
enum NTPTime {
    static let unixOffset: Double = 2_208_988_800

    static func now() -> UInt64 {
        self.timestamp(seconds: Date().timeIntervalSince1970 + self.unixOffset)
    }

    static func timestamp(seconds: Double) -> UInt64 {
        let whole = UInt64(seconds)
        let fraction = UInt64((seconds - Double(whole)) * 4_294_967_296)
        return whole << 32 | min(fraction, 0xFFFF_FFFF)
    }

    static func seconds(_ timestamp: UInt64) -> Double {
        Double(timestamp >> 32) + Double(timestamp & 0xFFFF_FFFF) / 4_294_967_296
    }

    /// The round-trip time a report block gives (RFC 3550 §6.4.1), in seconds: now less
    /// the sender report it names (`lastSenderReport`, the middle 32 bits of its NTP
    /// time) less the time the receiver held it (`delay`, 1/65536 s). Nil when the
    /// receiver had no sender report yet, or the result is negative or over a minute.
    static func roundTrip(lastSenderReport: UInt32, delay: UInt32, now: UInt64) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let compact = UInt32(truncatingIfNeeded: now >> 16)
        let units = compact &- lastSenderReport &- delay
        let seconds = Double(units) / 65_536
        return seconds < 60 ? seconds : nil
    }
}
