import Foundation
import Glibc
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

    /// An `sfu` process a test started, with the file its output goes to.
    final class Server {
        let process = Process()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sfu-process-\(UUID().uuidString).log")
        var isRunning: Bool { process.isRunning }
        var processIdentifier: Int32 { process.processIdentifier }
        var terminationStatus: Int32 { process.terminationStatus }
        func terminate() { process.terminate() }

        /// Whether it is still running, and the end of what it printed.
        var account: String {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let state = isRunning ? "running" : "exited with \(terminationStatus)"
            return "the server is \(state); its output ends: \(output.suffix(2000))"
        }

        deinit { try? FileManager.default.removeItem(at: log) }
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Server {
        let server = Server()
        let process = server.process
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        // The Janus listeners stay off unless a test asks for them: tests run in parallel.
        let quiet = ["SFU_JANUS_WS_PORT": "0", "SFU_JANUS_HTTP_PORT": "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(quiet.merging(environment) { _, new in new })
        {
            _,
            new in new
        }
        FileManager.default.createFile(atPath: server.log.path, contents: nil)
        let output = try FileHandle(forWritingTo: server.log)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return server
    }

    /// A TCP port no socket on this machine holds, below the kernel's ephemeral range
    /// (32768 and up), where the outgoing connections of tests running beside these
    /// could take a randomly chosen one first; `taken` are ports already given out.
    static func unusedPort(besides taken: [Int] = []) -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20000...32000)
            if !taken.contains(port) && isFree(port) { return port }
        }
        return Int.random(in: 20000...32000)
    }

    /// Whether a TCP socket can bind `port` on every address (without `SO_REUSEADDR`,
    /// so a connection lingering in TIME_WAIT counts as holding it).
    static func isFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// The body of `url` once `server` answers it, within 20 s; `nil`, with an issue that
    /// says why, when it does not.
    static func waitForHealth(_ url: String, of server: Server) -> String? {
        var body: String?
        _ = Polling.until(limit: .seconds(20), every: .milliseconds(200)) {
            body = try? Self.fetch(url)
            return body != nil || !server.isRunning
        }
        if body == nil { Issue.record("\(url) did not answer: \(server.account)") }
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
        let port = Self.unusedPort()
        let file = folder.appendingPathComponent("sfu.json")
        // The file sets the port and TLS; the environment overrides the worker count.
        try Data(#"{"port": \#(port), "tlsCertificate": "\#(certificate)", "tlsKey": "\#(key)", "workers": 3}"#.utf8)
            .write(to: file)
        let server = try Self.start(["--config", file.path], environment: ["SFU_WORKERS": "1"])
        defer { if server.isRunning { server.terminate() } }
        let health = Self.waitForHealth("https://127.0.0.1:\(port)/health", of: server)
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
        let port = Self.unusedPort()
        let server = try Self.start(["--port", String(port), "--workers", "1"])
        defer { if server.isRunning { server.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health", of: server) != nil)
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
        let port = Self.unusedPort()
        let janusPort = Self.unusedPort(besides: [port])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("janus-\(port).json")
        try Data(
            #"""
            {"janus": {"apiSecret": "janus-api-secret", "httpPort": \#(janusPort), "webSocketPort": 0,
              "rooms": [{"room": 4321, "description": "Configured", "secret": "adminpwd", "publishers": 6,
                         "bitrate": 128000, "fir_freq": 10}]}}
            """#.utf8
        ).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let server = try Self.start(
            ["--port", String(port), "--workers", "1", "--config", file.path],
            environment: ["SFU_JANUS_HTTP_PORT": String(janusPort)]
        )
        defer { if server.isRunning { server.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health", of: server) != nil)
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
                "http://127.0.0.1:\(janusPort)/janus",
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
        let port = Self.unusedPort()
        let open = try Self.start(["--port", String(port), "--workers", "1"])
        defer { if open.isRunning { open.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(port)/health", of: open) != nil)
        #expect(try Self.statuses(["http://127.0.0.1:\(port)/admin/rooms"]) == ["403"])
        open.terminate()

        let publicPort = Self.unusedPort(besides: [port])
        let adminPort = Self.unusedPort(besides: [port, publicPort])
        let secret = "s3cr3t-\(UUID().uuidString)"
        let guarded = try Self.start(
            [
                "--port", String(publicPort), "--workers", "1", "--admin-port", String(adminPort),
                "--private-operations",
            ],
            environment: ["SFU_ADMIN_SECRET": secret]
        )
        defer { if guarded.isRunning { guarded.terminate() } }
        #expect(Self.waitForHealth("http://127.0.0.1:\(adminPort)/health", of: guarded) != nil)
        let publicBase = "http://127.0.0.1:\(publicPort)"
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
