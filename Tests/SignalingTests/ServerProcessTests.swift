import Foundation
import TestSupport
import Testing

/// The `sfu` executable as an operator starts it: configuration layers, TLS, refusal of
/// bad settings, and a clean exit on SIGTERM.
@Suite(.serialized) struct ServerProcessTests {
    static var executable: String { BrowserCallTests.serverExecutable }

    /// GETs a URL with python3 (certificate checks off: the test's certificate is
    /// self-signed).
    static func fetch(_ url: String) throws -> String {
        try ExternalProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import ssl,sys,urllib.request;"
                    + "print(urllib.request.urlopen(sys.argv[1], timeout=5,"
                    + " context=ssl._create_unverified_context()).read().decode())",
                url,
            ]
        )
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        // The Janus listeners stay off unless a test asks for them: tests run in parallel.
        let quiet = ["SFU_JANUS_WS_PORT": "0", "SFU_JANUS_HTTP_PORT": "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(quiet.merging(environment) { _, new in new })
        {
            _,
            new in new
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForHealth(_ url: String) -> String? {
        var body: String?
        _ = Polling.until(limit: .seconds(20), every: .milliseconds(200)) {
            body = try? Self.fetch(url)
            return body != nil
        }
        return body
    }

    @Test func servesHTTPSFromAConfigurationFileAndExitsCleanlyOnSIGTERM() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            Issue.record("build the server first: swift build")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfu-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("key.pem").path
        let certificate = folder.appendingPathComponent("cert.pem").path
        _ = try ExternalProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
            ]
        )
        let port = Int.random(in: 41000...42000)
        let file = folder.appendingPathComponent("sfu.json")
        // The file sets the port and TLS; the environment overrides the worker count.
        try Data(#"{"port": \#(port), "tlsCertificate": "\#(certificate)", "tlsKey": "\#(key)", "workers": 3}"#.utf8)
            .write(to: file)
        let server = try Self.start(["--config", file.path], environment: ["SFU_WORKERS": "1"])
        defer { if server.isRunning { server.terminate() } }
        let health = Self.waitForHealth("https://127.0.0.1:\(port)/health")
        #expect(health?.contains(#""status":"healthy""#) == true)
        let metrics = try Self.fetch("https://127.0.0.1:\(port)/metrics")
        // One media worker, not three: the environment won over the file.
        #expect(metrics.contains("sfu_media_workers 1\n"))

        kill(server.processIdentifier, SIGTERM)
        let exited = Polling.until(limit: .seconds(10)) { !server.isRunning }
        #expect(exited)
        #expect(server.terminationStatus == 0)
    }

    /// A client that stops reading must not hold the server's shutdown: its WebSocket is
    /// dropped when it does not answer the close frame in time.
    @Test func exitsOnSIGTERMWhileAClientIgnoresTheCloseFrame() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            Issue.record("build the server first: swift build")
            return
        }
        let port = Int.random(in: 42001...43000)
        let server = try Self.start(["--port", String(port), "--workers", "1"])
        defer { if server.isRunning { server.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health") != nil)
        let client = try InteractiveProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import json,sys,time,websocket;"
                    + "ws=websocket.create_connection(sys.argv[1],timeout=10);"
                    + "ws.send(json.dumps({'type':'join','id':1,'room':'deaf'}));"
                    + "print(json.loads(ws.recv())['type'],flush=True);time.sleep(8)",
                "ws://127.0.0.1:\(port)/ws",
            ]
        )
        defer { _ = client.wait(limit: .milliseconds(1)) }
        #expect(try client.readLine() == "joined")
        let start = ContinuousClock.now
        kill(server.processIdentifier, SIGTERM)
        let exited = Polling.until(limit: .seconds(10)) { !server.isRunning }
        #expect(exited)
        #expect(ContinuousClock.now - start < .seconds(6))
        #expect(server.terminationStatus == 0)
    }

    @Test(arguments: [
        ["--port", "70000"],
        ["--port-range", "9-3"],
        ["--log-level", "loud"],
        ["--tls-key", "/nonexistent.pem"],
        ["--config", "/nonexistent.json"],
        ["--media-address", "not-an-address"],
        ["--janus-ws-port", "-1"],
        ["--max-queue-delay", "-5"],
        ["--max-queue-delay", "60000"],
        ["--max-publisher-bitrate", "5000"],
        ["--janus-handles-per-address", "-1"],
        ["--private-operations"],
        ["--admin-port", "70000"],
    ])
    func refusesBadSettingsAtStart(arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { return }
        let server = try Self.start(arguments)
        let exited = Polling.until(limit: .seconds(10)) { !server.isRunning }
        if !exited { server.terminate() }
        #expect(exited, "\(arguments) was accepted")
        #expect(server.terminationStatus != 0, "\(arguments)")
    }

    /// A deployment's Janus settings from a configuration file, as docs/janus.md maps
    /// them from `janus.plugin.videoroom.jcfg`: the configured room exists, the sample
    /// rooms do not, and the API secret is enforced on the HTTP transport.
    @Test func janusSettingsComeFromTheConfigurationFile() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { return }
        let port = Int.random(in: 43001...44000)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("janus-\(port).json")
        try Data(
            #"""
            {"janus": {"apiSecret": "janus-api-secret", "httpPort": \#(port + 1000), "webSocketPort": 0,
              "rooms": [{"room": 4321, "description": "Configured", "secret": "adminpwd", "publishers": 6,
                         "bitrate": 128000, "fir_freq": 10}]}}
            """#.utf8
        ).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let server = try Self.start(
            ["--port", String(port), "--workers", "1", "--config", file.path],
            environment: ["SFU_JANUS_HTTP_PORT": String(port + 1000)]
        )
        defer { if server.isRunning { server.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health") != nil)
        let output = try ExternalProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import json, sys, urllib.request
                base = sys.argv[1]
                def post(path, body):
                    request = urllib.request.Request(base + path, data=json.dumps(body).encode())
                    return json.loads(urllib.request.urlopen(request, timeout=5).read())
                print(post("", {"janus": "create", "transaction": "x"})["error"]["code"])
                session = post("", {"janus": "create", "transaction": "a", "apisecret": "janus-api-secret"})["data"]["id"]
                handle = post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "b",
                                              "apisecret": "janus-api-secret"})["data"]["id"]
                for room in (4321, 1234):
                    reply = post(f"/{session}/{handle}", {"janus": "message", "transaction": "c",
                                 "apisecret": "janus-api-secret", "body": {"request": "exists", "room": room}})
                    print(reply["plugindata"]["data"]["exists"])
                """,
                "http://127.0.0.1:\(port + 1000)/janus",
            ]
        )
        #expect(output.split(separator: "\n") == ["403", "True", "False"])
    }

    /// HTTP status codes of GETs, each `URL` or `URL|secret` (sent as a bearer token).
    static func statuses(_ requests: [String]) throws -> [String] {
        let output = try ExternalProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sys, urllib.error, urllib.request
                for argument in sys.argv[1:]:
                    url, _, secret = argument.partition("|")
                    headers = {"Authorization": "Bearer " + secret} if secret else {}
                    try:
                        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as reply:
                            print(reply.status)
                    except urllib.error.HTTPError as error:
                        print(error.code)
                """,
            ] + requests
        )
        return output.split(separator: "\n").map(String.init)
    }

    /// Administration is never open: without a secret `/admin/rooms` is refused (403); with
    /// one and an admin listener, it lives there only, behind the secret, and with
    /// `--private-operations` `/health` and `/metrics` leave the public listener too.
    @Test func administrationNeedsItsSecretAndItsListener() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else { return }
        let port = Int.random(in: 44001...45000)
        let open = try Self.start(["--port", String(port), "--workers", "1"])
        defer { if open.isRunning { open.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health") != nil)
        #expect(try Self.statuses(["http://127.0.0.1:\(port)/admin/rooms"]) == ["403"])
        open.terminate()

        let adminPort = port + 1000
        let secret = "s3cr3t-\(UUID().uuidString)"
        let guarded = try Self.start(
            ["--port", String(port + 1), "--workers", "1", "--admin-port", String(adminPort), "--private-operations"],
            environment: ["SFU_ADMIN_SECRET": secret]
        )
        defer { if guarded.isRunning { guarded.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(adminPort)/health") != nil)
        let publicBase = "http://127.0.0.1:\(port + 1)"
        let admin = "http://127.0.0.1:\(adminPort)"
        let codes = try Self.statuses([
            "\(publicBase)/admin/rooms|\(secret)", "\(publicBase)/health", "\(publicBase)/metrics", "\(publicBase)/",
            "\(admin)/admin/rooms", "\(admin)/admin/rooms|wrong", "\(admin)/admin/rooms|\(secret)",
            "\(admin)/metrics",
        ])
        #expect(codes == ["404", "404", "404", "200", "401", "401", "200", "200"])
        // Each refusal counted.
        let metrics = try Self.fetch("\(admin)/metrics")
        #expect(metrics.contains(#"sfu_signaling_errors_total{face="admin",code="unauthorized"} 2"#), "\(metrics)")
    }
}
