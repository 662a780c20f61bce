import DTLS
import Foundation
import TestSupport
import Testing

/// DTLS-SRTP handshakes with `openssl s_client` / `s_server` (an implementation nobody
/// here wrote) over UDP on 127.0.0.1: both sides must export the same keying material.
@Suite(.serialized) struct OpenSSLInteropTests {
    /// openssl's identity, written to PEM files for it.
    struct Identity {
        let certificate: DTLSCertificate
        let directory: URL
        var certificatePath: String { self.directory.appendingPathComponent("cert.pem").path }
        var keyPath: String { self.directory.appendingPathComponent("key.pem").path }

        init() throws {
            self.certificate = try DTLSCertificate(commonName: "openssl")
            self.directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            let (certificate, key) = self.certificate.pem()
            try certificate.write(toFile: self.certificatePath, atomically: true, encoding: .utf8)
            try key.write(toFile: self.keyPath, atomically: true, encoding: .utf8)
        }
    }

    /// Runs `openssl` with a standard input kept open until `finish()`.
    final class OpenSSLProcess {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(_ arguments: [String]) throws {
            self.process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            self.process.arguments = arguments
            self.process.standardInput = self.input
            self.process.standardOutput = self.output
            self.process.standardError = self.output
            try self.process.run()
        }

        /// Closes its input (it then shuts down and exits) and returns everything it printed.
        func finish() -> String {
            try? self.input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(5)
            while self.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if self.process.isRunning { self.process.terminate() }
            return String(decoding: self.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    /// Drives `session` over `socket` with the peer at `peerPort` (learned from the first
    /// datagram when nil) until it settles or 10 s pass.
    func drive(_ session: DTLSSession, over socket: UDPSocket, peerPort: UInt16?) {
        let clock = ContinuousClock()
        let start = clock.now
        var peer = peerPort
        for datagram in session.start(at: start) { socket.send(datagram, to: peer ?? 0) }
        while clock.now - start < .seconds(10) {
            if session.state == .connected { return }
            if case .failed = session.state { return }
            if let (bytes, port) = socket.receive() {
                peer = peer ?? port
                for datagram in session.receive(bytes, at: clock.now) { socket.send(datagram, to: port) }
            }
            if let peer, let timeout = session.nextTimeout, timeout <= .zero {
                for datagram in session.handleTimeout(at: clock.now) { socket.send(datagram, to: peer) }
            }
        }
    }

    static func keyingMaterial(in output: String) -> [UInt8]? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("Keying material:") }),
            let hex = line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
        else { return nil }
        return [UInt8](hex: hex)
    }

    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHMACSHA1_80])
    func swiftSFUServerWithOpenSSLClient(profile: SRTPProfile) throws {
        let identity = try Identity()
        let ours = try DTLSCertificate(commonName: "swiftsfu")
        let socket = try UDPSocket()
        let session = try DTLSSession(
            role: .server,
            certificate: ours,
            remoteFingerprints: [identity.certificate.fingerprint]
        )
        let client = try OpenSSLProcess([
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-cert", identity.certificatePath,
            "-key", identity.keyPath, "-use_srtp", profile.rawValue, "-keymatexport", "EXTRACTOR-dtls_srtp",
            "-keymatexportlen", "\(profile.keyingMaterialLength)",
        ])
        self.drive(session, over: socket, peerPort: nil)
        let output = client.finish()
        #expect(session.state == .connected, "\(session.state): \(output.suffix(600))")
        #expect(session.keyingMaterial?.profile == profile)
        #expect(session.peerFingerprint == identity.certificate.fingerprint)
        let theirs = try #require(Self.keyingMaterial(in: output), "\(output.suffix(600))")
        #expect(session.exportedKeyingMaterial == theirs)
    }

    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHMACSHA1_80])
    func swiftSFUClientWithOpenSSLServer(profile: SRTPProfile) throws {
        let identity = try Identity()
        let ours = try DTLSCertificate(commonName: "swiftsfu")
        let port = try UDPSocket().port  // a free port for openssl, released at once
        let server = try OpenSSLProcess([
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-cert", identity.certificatePath,
            "-key", identity.keyPath, "-use_srtp", profile.rawValue, "-keymatexport", "EXTRACTOR-dtls_srtp",
            "-keymatexportlen", "\(profile.keyingMaterialLength)", "-verify", "1",
        ])
        Thread.sleep(forTimeInterval: 0.3)  // let it bind
        let socket = try UDPSocket()
        let session = try DTLSSession(
            role: .client,
            certificate: ours,
            remoteFingerprints: [identity.certificate.fingerprint],
            profiles: [profile]
        )
        self.drive(session, over: socket, peerPort: port)
        Thread.sleep(forTimeInterval: 0.2)  // let it print the exported keys
        let output = server.finish()
        #expect(session.state == .connected, "\(session.state): \(output.suffix(600))")
        let theirs = try #require(Self.keyingMaterial(in: output), "\(output.suffix(600))")
        #expect(session.exportedKeyingMaterial == theirs)
    }
}
