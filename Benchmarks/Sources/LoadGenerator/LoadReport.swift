import Histogram

/// What one step measured, printed as JSON.
struct LoadReport: Codable {
    struct Percentiles: Codable {
        var p50: Double
        var p99: Double
        var p999: Double
        var max: Double
        var count: UInt64

        init() {
            (self.p50, self.p99, self.p999, self.max, self.count) = (0, 0, 0, 0, 0)
        }

        init(_ histogram: Histogram<UInt64>, scale: Double = 1) {
            self.p50 = Double(histogram.valueAtPercentile(50)) / scale
            self.p99 = Double(histogram.valueAtPercentile(99)) / scale
            self.p999 = Double(histogram.valueAtPercentile(99.9)) / scale
            self.max = Double(histogram.max) / scale
            self.count = histogram.totalCount
        }
    }

    var shape: LoadRun.Shape
    var failure: String?
    var setupSeconds = 0.0
    /// ICE + DTLS of each peer connection, from applying the remote description to keys.
    var setupMilliseconds = Percentiles()
    var failedPeers = 0
    var windowSeconds = 0.0
    var expectedPackets = 0
    var receivedPackets = 0
    /// Received beyond what was expected of a stream: duplicates, or an encoding no
    /// subscriber asked for.
    var excessPackets = 0
    var loss = 1.0
    var forwardedPacketsPerSecond = 0.0
    var forwardedMbitPerSecond = 0.0
    /// Added by the server: the publisher's send to the packet's arrival in the
    /// subscriber's socket (kernel receive timestamps, sampled).
    var latencyMicroseconds = Percentiles()
    /// The publisher's send to the subscriber's code, every packet: includes the time
    /// the packet waited in the generator.
    var deliveryLatencyMicroseconds = Percentiles()
    /// The server's CPU per packet received by the subscribers: its core's busy time with
    /// `--server-core`, else its process's (`serverCPUSource` says which).
    var serverCPUNanosecondsPerPacket: Double?
    var serverCPUSource: String?
    /// The server process's threads alone, whatever `serverCPUSource` is.
    var serverProcessCPUNanosecondsPerPacket: Double?
    var serverProcessCPUPercent: Double?
    /// Of the server's media workers alone (SwiftSFU's threads named `media-…`).
    var serverWorkerCPUNanosecondsPerPacket: Double?
    var serverCPUPercent: Double?
    /// The server's CPU over the window per peer connection, in µs per second: with
    /// `--idle`, what a connected peer costs while nothing is sent (keepalives, consent,
    /// reports, timers).
    var serverCPUMicrosecondsPerPeerSecond: Double?
    var serverThreads: Int?
    var serverRSSBytes: Int?
    var memoryPerPeerBytes: Int?
    var generatorCPUNanosecondsPerPacket: Double?
    var generatorCPUPercent: Double?
    var unrecognizedPackets = 0
    var refusedSends = 0
    /// The longest a publisher's packet waited past its time in the window: above a few
    /// milliseconds the generator, not the server, is the bottleneck.
    var maximumSendLagMilliseconds = 0.0

    init(shape: LoadRun.Shape) {
        self.shape = shape
    }
}
