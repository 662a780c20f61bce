import Benchmark
import DTLS

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .throughput]

    Benchmark(
        "DTLSHandshakeInMemory",
        configuration: .init(metrics: metrics, scalingFactor: .one, maxDuration: .seconds(3))
    ) { benchmark in
        let clientCertificate = try DTLSCertificate(commonName: "client")
        let serverCertificate = try DTLSCertificate(commonName: "server")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let client = try DTLSSession(
                role: .client,
                certificate: clientCertificate,
                remoteFingerprints: [serverCertificate.fingerprint]
            )
            let server = try DTLSSession(
                role: .server,
                certificate: serverCertificate,
                remoteFingerprints: [clientCertificate.fingerprint]
            )
            let now = ContinuousClock.now
            var toServer = client.start(at: now)
            _ = server.start(at: now)
            for _ in 0..<10 where client.state != .connected || server.state != .connected {
                let toClient = toServer.flatMap { server.receive($0, at: now) }
                toServer = toClient.flatMap { client.receive($0, at: now) }
            }
            precondition(client.state == .connected && server.state == .connected, "handshake did not complete")
        }
    }
}
