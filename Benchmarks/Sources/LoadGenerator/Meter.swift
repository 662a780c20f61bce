import Histogram
import RTP

/// What the generator's peers count, on their worker's thread. Packets count towards the
/// measurement when their send time falls in the measured window, on both sides: what a
/// publisher sent in the window is what its subscribers should receive. Read off the
/// worker as a copy.
struct Meter: Sendable {
    struct Window: Sendable {
        var start: UInt64
        var end: UInt64
        func contains(_ time: UInt64) -> Bool { time >= self.start && time < self.end }
    }

    var window: Window?
    /// Packets sent in the window, by stream (`SyntheticMedia.Settings.stream(feed:layer:)`).
    var sent: [Int] = []
    /// Packets and payload bytes received in the window, over all subscribers; packets
    /// also by stream.
    var received = 0
    var receivedByStream: [Int] = []
    var receivedBytes = 0
    /// Received packets that carried no stamp or a stream no publisher has.
    var unrecognized = 0
    /// Latency the server added, in microseconds: from the publisher's send to the
    /// packet's arrival in the subscriber's socket, as the kernel stamped it (on loopback,
    /// the moment the server sent it). Sampled: one packet in `Meter.kernelSampling` per
    /// subscriber, at a different offset each, so that every place in a frame is measured.
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// From the publisher's send to the subscriber's code, every packet: `latency` plus
    /// the time the packet waited in the generator's own socket.
    var deliveryLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    static let kernelSampling = 4
    /// ICE + DTLS set-up times, in microseconds.
    var setup = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    var failedPeers = 0
    /// The longest a publisher's packet waited past its time in the window, nanoseconds.
    var maximumSendLag: UInt64 = 0
    /// Sends the transport refused.
    var refusedSends = 0

    init(streams: Int) {
        self.sent = Array(repeating: 0, count: streams)
        self.receivedByStream = self.sent
    }

    @inline(__always) mutating func didSend(stream: Int, at time: UInt64) {
        if let window = self.window, window.contains(time), stream < self.sent.count { self.sent[stream] += 1 }
    }

    /// Counts a packet received at `now`; `arrival` is when the kernel received it, on
    /// the same clock, for the packets sampled.
    @inline(__always) mutating func didReceive(_ packet: RTPPacket, at now: UInt64, arrival: UInt64? = nil) {
        guard let window = self.window else { return }
        let stamp = PacketStamp(of: packet)
        guard let stamp, Int(stamp.stream) < self.sent.count else {
            self.unrecognized += 1
            return
        }
        guard window.contains(stamp.sentAt) else { return }
        self.received += 1
        self.receivedByStream[Int(stamp.stream)] += 1
        self.receivedBytes += packet.length
        _ = self.deliveryLatency.record(now >= stamp.sentAt ? (now - stamp.sentAt) / 1_000 : 0)
        if let arrival {
            _ = self.latency.record(arrival >= stamp.sentAt ? (arrival - stamp.sentAt) / 1_000 : 0)
        }
    }
}
