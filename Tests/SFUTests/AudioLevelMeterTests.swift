import RTP
import Testing

@testable import SFU

/// Talking detection decides once per window, the way Janus's VideoRoom does.
@Suite struct AudioLevelMeterTests {
    @Test func loudWindowsStartTalkingAndQuietOnesStopIt() {
        var meter = AudioLevelMeter(window: 10, threshold: 25)
        // Nine loud packets decide nothing yet.
        for _ in 0..<9 { #expect(meter.record(AudioLevel(voiceActivity: true, level: 10)) == nil) }
        let start = meter.record(AudioLevel(voiceActivity: true, level: 10))
        #expect(start?.isTalking == true && start?.average == 10)
        // Another loud window changes nothing.
        for _ in 0..<10 { #expect(meter.record(AudioLevel(voiceActivity: true, level: 20)) == nil) }
        // A quiet window (average 27, over the threshold) stops it.
        var stop: (isTalking: Bool, average: Int)?
        for level in [20, 34, 20, 34, 20, 34, 20, 34, 20, 34] as [UInt8] {
            stop = meter.record(AudioLevel(voiceActivity: false, level: level)) ?? stop
        }
        #expect(stop?.isTalking == false && stop?.average == 27)
        #expect(!meter.isTalking)
    }

    @Test func resetReportsWhetherItWasTalking() {
        var meter = AudioLevelMeter(window: 1, threshold: 25)
        #expect(meter.reset() == false)
        _ = meter.record(AudioLevel(voiceActivity: true, level: 0))
        #expect(meter.reset() == true)
        #expect(!meter.isTalking)
    }
}
