import Testing

@testable import SFU

/// How much a consumer resends for NACKs: once per packet per 100 ms (twice when NACKed
/// again after that), a quarter of the path's estimate in all.
@Suite struct ResendLimiterTests {
    @Test func aPacketIsResentAtMostOncePer100Milliseconds() {
        var limiter = ResendLimiter()
        let start: UInt64 = 1_000_000_000_000
        #expect(limiter.verdict(7, size: 1_000, now: start, estimate: nil) == .resend)
        #expect(limiter.verdict(7, size: 1_000, now: start + 99_000_000, estimate: nil) == .resentRecently)
        #expect(limiter.verdict(8, size: 1_000, now: start + 99_000_000, estimate: nil) == .resend)
        // NACKed again after the interval: the resend was lost, two copies go.
        #expect(limiter.verdict(7, size: 1_000, now: start + 100_000_000, estimate: nil) == .resendTwice)
        // 512 packets later the slot holds another number: that one is free.
        #expect(limiter.verdict(7 &+ 512, size: 1_000, now: start + 120_000_000, estimate: nil) == .resend)
    }

    @Test func retransmissionsTakeAQuarterOfTheEstimate() {
        var limiter = ResendLimiter()
        var now: UInt64 = 1_000_000_000_000
        var resent = 0
        var sequenceNumber: UInt16 = 0
        // Every 10 ms, 10 new packets of 1,000 bytes NACKed, for 10 s, on a 400 kbit/s path.
        for _ in 0..<1_000 {
            for _ in 0..<10 {
                if limiter.verdict(sequenceNumber, size: 1_000, now: now, estimate: 400_000) == .resend { resent += 1 }
                sequenceNumber &+= 1
            }
            now += 10_000_000
        }
        // 100 kbit/s: 12.5 packets a second, the first second of budget on top.
        #expect((132...142).contains(resent), "\(resent)")
        // Without an estimate, 250 kbit/s.
        var unestimated = ResendLimiter()
        let allowed = (0..<100).count { index in
            unestimated.verdict(UInt16(index), size: 1_000, now: now, estimate: nil) == .resend
        }
        #expect(allowed == 31, "a second of 250 kbit/s: 31 packets of 1,000 bytes")
    }

    @Test func withARoundTripTimeAPacketIsResentOncePerRoundTrip() {
        var limiter = ResendLimiter()
        let start: UInt64 = 1_000_000_000_000
        #expect(limiter.verdict(7, size: 1_000, now: start, estimate: nil, roundTrip: 0.03) == .resend)
        #expect(
            limiter.verdict(7, size: 1_000, now: start + 29_000_000, estimate: nil, roundTrip: 0.03) == .resentRecently
        )
        #expect(
            limiter.verdict(7, size: 1_000, now: start + 31_000_000, estimate: nil, roundTrip: 0.03) == .resendTwice
        )
        // On loopback (under a millisecond), still at most every 10 ms.
        #expect(
            limiter.verdict(7, size: 1_000, now: start + 35_000_000, estimate: nil, roundTrip: 0.0005)
                == .resentRecently
        )
    }

    /// A packet NACKed again once its resend had time to arrive goes twice, within the
    /// budget: with only one copy's budget left, one.
    @Test func aPacketNACKedAgainGoesTwiceWithinTheBudget() {
        var limiter = ResendLimiter()
        var now: UInt64 = 1_000_000_000_000
        // A second of 250 kbit/s: 31,250 bytes.
        #expect(limiter.verdict(1, size: 12_000, now: now, estimate: nil) == .resend)
        now += 100_000_000  // refills 3,125 bytes: 22,375
        #expect(limiter.verdict(1, size: 10_000, now: now, estimate: nil) == .resendTwice)
        #expect(limiter.verdict(2, size: 1_000, now: now, estimate: nil) == .resend)
        now += 100_000_000
        // 1,375 + 3,125 bytes: one copy of 3,000.
        #expect(limiter.verdict(1, size: 3_000, now: now, estimate: nil) == .resend)
    }

    /// A whole lost frame resent, and resent again when the resends are lost too: a 500
    /// kbit/s call's budget holds it (with 250 ms of budget it held three packets).
    @Test func aLostFrameAndItsLostResendsFitTheBudget() {
        var limiter = ResendLimiter()
        let start: UInt64 = 1_000_000_000_000
        let frame: [UInt16] = [40, 41, 42, 43]
        for number in frame {
            #expect(limiter.verdict(number, size: 1_200, now: start, estimate: 500_000, roundTrip: 0.02) == .resend)
        }
        for number in frame {
            let verdict = limiter.verdict(
                number,
                size: 1_200,
                now: start + 50_000_000,
                estimate: 500_000,
                roundTrip: 0.02
            )
            #expect(verdict == .resendTwice)
        }
    }

    /// Transport-wide feedback reports copies lost: one resent since that copy went is not
    /// resent again; a lost resend (recorded when it went) is; the budget holds for both.
    @Test func aLostCopyIsResentUnlessItWasResentSince() {
        var limiter = ResendLimiter()
        let start: UInt64 = 1_000_000_000_000
        // The subscriber's NACK came 2 ms after the copy went: resent then.
        #expect(limiter.verdict(9, size: 1_000, now: start + 2_000_000, estimate: nil) == .resend)
        #expect(
            limiter.verdict(lostCopyOf: 9, sentAt: start, size: 1_000, now: start + 60_000_000, estimate: nil)
                == .resentRecently
        )
        // The resend (sent at start + 2 ms) is reported lost in turn: resent at once,
        // round trip or not.
        #expect(
            limiter.verdict(
                lostCopyOf: 9,
                sentAt: start + 2_000_000,
                size: 1_000,
                now: start + 60_000_000,
                estimate: nil
            )
                == .resend
        )
        // A packet never NACKed.
        #expect(
            limiter.verdict(lostCopyOf: 10, sentAt: start, size: 1_000, now: start + 60_000_000, estimate: nil)
                == .resend
        )
        // Beyond the budget: a second of 250 kbit/s less what went.
        #expect(
            limiter.verdict(lostCopyOf: 11, sentAt: start, size: 40_000, now: start + 60_000_000, estimate: nil)
                == .overBudget
        )
    }
}
