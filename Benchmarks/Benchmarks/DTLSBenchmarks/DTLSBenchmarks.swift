import Benchmark
import DTLS
import NIOCore

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

    // The server's own SRTP contexts, as the media path uses them: one 1,200-byte packet
    // protected and unprotected (SRTPBenchmarks compares the libsrtp2 builds alone).
    for profile in SRTPProfile.allCases {
        Benchmark(
            "SRTPContextProtectUnprotect1200Bytes.\(profile.rawValue)",
            configuration: .init(metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(3))
        ) { benchmark in
            let key = (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let sender = try SRTPContext(profile: profile, keyAndSalt: key, direction: .outbound)
            let receiver = try SRTPContext(profile: profile, keyAndSalt: key, direction: .inbound)
            var plaintext = [UInt8](repeating: 0xAB, count: 1200)
            plaintext[0] = 0x80
            plaintext[1] = 96
            var packet = ByteBuffer()
            packet.reserveCapacity(1200 + SRTPContext.maximumTrailerLength)
            var sequenceNumber: UInt16 = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                sequenceNumber &+= 1
                plaintext[2] = UInt8(sequenceNumber >> 8)
                plaintext[3] = UInt8(sequenceNumber & 0xFF)
                packet.clear()
                packet.writeBytes(plaintext)
                try sender.protect(&packet)
                try receiver.unprotect(&packet)
                precondition(packet.readableBytes == 1200, "SRTP round trip failed")
            }
        }
    }
}
