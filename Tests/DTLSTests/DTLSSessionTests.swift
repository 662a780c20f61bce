import Foundation
import NIOCore
import Testing

@testable import DTLS

@Suite struct DTLSSessionTests {
    static let clientCertificate = try! DTLSCertificate(commonName: "client")
    static let serverCertificate = try! DTLSCertificate(commonName: "server")

    func sessions(
        profiles: [SRTPProfile] = SRTPProfile.allCases,
        clientExpects: DTLSFingerprint? = nil,
        mtu: Int = 1200
    ) throws -> HandshakeHarness {
        let client = try DTLSSession(
            role: .client,
            certificate: Self.clientCertificate,
            remoteFingerprints: [clientExpects ?? Self.serverCertificate.fingerprint],
            mtu: mtu,
            profiles: profiles
        )
        let server = try DTLSSession(
            role: .server,
            certificate: Self.serverCertificate,
            remoteFingerprints: [Self.clientCertificate.fingerprint],
            mtu: mtu
        )
        return HandshakeHarness(client: client, server: server)
    }

    func expectConnectedWithMatchingKeys(_ harness: HandshakeHarness, profile: SRTPProfile) throws {
        #expect(harness.client.state == .connected)
        #expect(harness.server.state == .connected)
        let client = try #require(harness.client.keyingMaterial)
        let server = try #require(harness.server.keyingMaterial)
        #expect(client.profile == profile && server.profile == profile)
        #expect(client.localKeyAndSalt == server.remoteKeyAndSalt)
        #expect(client.remoteKeyAndSalt == server.localKeyAndSalt)
        #expect(client.localKeyAndSalt != client.remoteKeyAndSalt)
        #expect(client.localKeyAndSalt.count == profile.keyLength + profile.saltLength)
        #expect(harness.client.peerFingerprint == Self.serverCertificate.fingerprint)
        #expect(harness.server.peerFingerprint == Self.clientCertificate.fingerprint)
    }

    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHMACSHA1_80, .aeadAES256GCM])
    func handshakesAndAgreesOnKeys(profile: SRTPProfile) throws {
        var harness = try self.sessions(profiles: [profile])
        harness.run()
        try self.expectConnectedWithMatchingKeys(harness, profile: profile)
    }

    @Test func serverPicksAES128GCMFirst() throws {
        // A client that prefers 256-GCM and CM, as Chromium does: the SFU is the server and
        // its order decides.
        var harness = try self.sessions(profiles: [.aeadAES256GCM, .aes128CMHMACSHA1_80, .aeadAES128GCM])
        harness.run()
        try self.expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
    }

    @Test func everyDatagramFitsTheMTU() throws {
        for mtu in [1200, 500] {
            var harness = try self.sessions(mtu: mtu)
            harness.run()
            #expect(harness.client.state == .connected && harness.server.state == .connected)
            #expect(!harness.delivered.isEmpty)
            #expect(harness.delivered.allSatisfy { $0.count <= mtu }, "mtu \(mtu): \(harness.delivered.map(\.count))")
        }
    }

    @Test func rejectsAPeerWhoseCertificateDoesNotMatchItsFingerprint() throws {
        let other = try DTLSCertificate(commonName: "impostor")
        var harness = try self.sessions(clientExpects: other.fingerprint)
        harness.run()
        #expect(harness.client.state == .failed(.fingerprintMismatch))
        #expect(harness.client.keyingMaterial == nil)
        #expect(harness.client.exportedKeyingMaterial == nil, "no keys leave a failed handshake")
        #expect(harness.client.peerFingerprint == Self.serverCertificate.fingerprint, "it saw the real certificate")
        #expect(harness.server.state != .connected || harness.server.keyingMaterial != nil)
    }

    @Test func completesWhenEveryThirdDatagramIsLost() throws {
        var harness = try self.sessions()
        harness.network = { index, datagram in index % 3 == 0 ? [] : [datagram] }
        harness.run()
        try self.expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
    }

    @Test func sessionsOnManyThreadsShareTheirCertificatesContext() async throws {
        // What the media workers do: handshakes on several threads at once, every session
        // made from the one context of the server's certificate.
        let context = Self.serverCertificate.context
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<5 {
                        var harness = try DTLSSessionTests().sessions()
                        harness.run()
                        try DTLSSessionTests().expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(Self.serverCertificate.context == context)
    }

    @Test func aLostClientHelloCostsOneShortTimeout() throws {
        // OpenSSL's own first retransmission waits 1 s; SwiftSFU's waits 100 ms.
        var harness = try self.sessions()
        harness.network = { index, datagram in index == 1 ? [] : [datagram] }
        let elapsed = harness.run()
        try self.expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
        #expect(elapsed >= .milliseconds(90) && elapsed < .milliseconds(900), "\(elapsed)")
    }

    @Test func completesWhenDatagramsAreDuplicatedAndReordered() throws {
        var harness = try self.sessions()
        harness.network = { _, datagram in [datagram, datagram] }
        harness.reorder = true
        harness.run()
        try self.expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
    }

    @Test func failsAfterTheHandshakeDeadline() throws {
        let server = try DTLSSession(
            role: .server,
            certificate: Self.serverCertificate,
            remoteFingerprints: [Self.clientCertificate.fingerprint],
            handshakeTimeout: .milliseconds(10)
        )
        let now = ContinuousClock.now
        _ = server.start(at: now)
        _ = server.handleTimeout(at: now.advanced(by: .seconds(1)))
        #expect(server.state == .failed(.handshakeTimedOut))
    }

    @Test func garbageDuringTheHandshakeNeverCrashes() throws {
        var harness = try self.sessions()
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 13, 25, 100, 1500] {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = harness.server.receive(noise, at: .now)
            _ = harness.server.receive([0x16, 0xFE, 0xFD] + noise, at: .now)  // a DTLS 1.2 handshake record header
        }
        if harness.server.state == .handshaking {
            harness.run()
            try self.expectConnectedWithMatchingKeys(harness, profile: .aeadAES128GCM)
        } else {
            guard case .failed = harness.server.state else {
                Issue.record("unexpected state \(harness.server.state)")
                return
            }
        }
    }

    @Test func closeNotifyClosesThePeer() throws {
        var harness = try self.sessions()
        harness.run()
        let goodbye = harness.client.close()
        #expect(!goodbye.isEmpty)
        for datagram in goodbye { _ = harness.server.receive(datagram, at: .now) }
        #expect(harness.client.state == .closed)
        #expect(harness.server.state == .closed)
    }

    @Test func certificateSurvivesAPEMRoundTrip() throws {
        let (certificatePEM, keyPEM) = Self.serverCertificate.pem()
        #expect(certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificatePath = directory.appendingPathComponent("cert.pem").path
        let keyPath = directory.appendingPathComponent("key.pem").path
        try certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try keyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        let loaded = try DTLSCertificate(certificatePath: certificatePath, keyPath: keyPath)
        #expect(loaded.fingerprint == Self.serverCertificate.fingerprint)
        #expect(loaded.fingerprint.digest.count == 32)
        #expect(DTLSFingerprint(sdpValue: loaded.fingerprint.sdpValue) == loaded.fingerprint)
        #expect(throws: DTLSError.unreadableFile(path: "/nonexistent/cert.pem")) {
            try DTLSCertificate(certificatePath: "/nonexistent/cert.pem", keyPath: keyPath)
        }
    }
}
