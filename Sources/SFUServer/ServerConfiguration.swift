import Foundation
import ICE
import Logging
import Signaling

/// Everything the `sfu` executable is configured with. Each setting comes from a flag,
/// else an environment variable (`SFU_…`), else the optional JSON file (`--config`),
/// else the embedded default; the defaults need no file and no external service.
struct ServerConfiguration: Sendable, Equatable {
    /// Address the HTTP/WebSocket listener binds to.
    var host = "127.0.0.1"
    var port = 8080
    /// Addresses media (ICE host candidates) is gathered on; empty for every interface.
    var mediaAddresses: [String] = ["127.0.0.1"]
    /// The public address announced in candidates when behind a 1:1 NAT.
    var advertisedAddress: String?
    var portRange: ClosedRange<UInt16>?
    /// Media workers (threads); the number of cores by default.
    var workers = ProcessInfo.processInfo.activeProcessorCount
    var logLevel = Logger.Level.info
    /// Milliseconds media may wait in a socket before its worker reads it; later, it is
    /// dropped unforwarded (`queued_too_long`). 0 forwards everything however late.
    var maximumQueueDelay = 200
    /// The most media one publisher may send, bits per second; 0 for no limit.
    var maximumPublisherBitrate = 20_000_000
    var stunServer: String?
    /// Gather ICE-TCP candidates (RFC 6544) beside UDP: passive ones clients connect to,
    /// for networks that let no UDP through (Janus's `ice_tcp`).
    var iceTCP = false
    /// `iceServers` URLs handed to browsers (`stun:…`, `turn:…`), and the secret shared
    /// with the TURN servers that signs their time-limited credentials (docs/turn.md).
    var clientICEServers: [String] = []
    var turnSecret: String?
    var turnCredentialLifetime = ICEServerDirectory.defaultCredentialLifetime
    var iceTransportPolicy = ICEServerDirectory.TransportPolicy.all
    /// PEM files of a certificate and key: WSS and HTTPS instead of WS and HTTP.
    var tlsCertificate: String?
    var tlsKey: String?
    /// The Janus face: its WebSocket and HTTP ports (0 turns one off) and its settings.
    var janusWebSocketPort = 8188
    var janusHTTPPort = 8088
    var janusAdminPort = 7088
    var janusAdminWebSocketPort = 7188
    var janus = JanusSettings()
    /// The RTC-server face (docs/rtc-face.md): where its messages to the call backend
    /// are POSTed; webhooks (docs/webhooks.md): where room events are POSTed, and the
    /// secret that signs both.
    var rtcCallbackURL: String?
    var webhookURLs: [String] = []
    var webhookSecret: String?
    /// The folder recordings must stay under (`rec_dir` outside it is refused), and where
    /// they go when a room names none; nil: anywhere the server may write, as Janus.
    var recordingsRoot: String?
    /// `webm`, `mjr` (Janus's files, for `janus-pp-rec`) or `both`.
    var recordingFormat = JanusConfiguration.RecordingFormat.webm
    /// Seconds a SIGTERM waits for live calls to end, taking no new ones (`/health` says
    /// `draining`); 0: shut down at once.
    var drainTimeout = 0
    /// Administration (docs/security.md): the secret `/admin/*` asks for (and the Janus
    /// Admin API's `admin_secret`, unless that is given apart); without it there is no
    /// administration. With `adminPort` (0: none), `/admin/*` leaves the public listener
    /// for one of its own on `adminHost`, beside `/health` and `/metrics`; with
    /// `privateOperations` those two are served there only.
    var adminSecret: String?
    var adminHost = "127.0.0.1"
    var adminPort = 0
    var privateOperations = false
    /// Per client address on the public listeners (docs/security.md): open connections,
    /// requests per second and their burst (0: no limit), and the address blocks that are
    /// not limited.
    var clientLimits = ClientLimits.Configuration()

    /// The Janus face's settings (`janus` in the file; docs/janus.md maps them from
    /// `janus.jcfg` and `janus.plugin.videoroom.jcfg`).
    struct JanusSettings: Codable, Equatable {
        var apiSecret: String?
        var tokens: [String]?
        var adminKey: String?
        /// Seconds; 0 for never.
        var sessionTimeout: Int?
        var reclaimSessionTimeout: Int?
        /// Rooms from start-up, with the keys of a VideoRoom `create` request.
        var rooms: [JSONValue]?
        /// Whether Janus's sample rooms 1234 and 5678 exist (when `rooms` is not given).
        var sampleRooms: Bool?
        var implicitSessions: Bool?
        var webSocketPort: Int?
        var httpPort: Int?
        /// The Admin API: its secret, without which it does not exist, and its ports,
        /// HTTP (`/admin`, default 7088 as Janus's) and WebSocket (7188); 0 turns one off.
        var adminSecret: String?
        var adminPort: Int?
        var adminWebSocketPort: Int?
    }

    /// The settings a configuration file may hold, all optional.
    struct File: Codable, Equatable {
        var host: String?
        var port: Int?
        var mediaAddresses: [String]?
        var advertisedAddress: String?
        var portRange: String?
        var workers: Int?
        var logLevel: String?
        var maximumQueueDelay: Int?
        var maximumPublisherBitrate: Int?
        var stunServer: String?
        var iceTCP: Bool?
        var clientICEServers: [String]?
        var turnSecret: String?
        var turnCredentialLifetime: Int?
        var iceTransportPolicy: String?
        var tlsCertificate: String?
        var tlsKey: String?
        var janus: JanusSettings?
        var rtcCallbackURL: String?
        var webhookURLs: [String]?
        var webhookSecret: String?
        var recordingsRoot: String?
        var recordingFormat: String?
        var drainTimeout: Int?
        var adminSecret: String?
        var adminHost: String?
        var adminPort: Int?
        var privateOperations: Bool?
        var connectionsPerAddress: Int?
        var requestsPerSecond: Int?
        var requestBurst: Int?
        var janusSessionsPerAddress: Int?
        var janusHandlesPerAddress: Int?
        var trustedAddresses: [String]?
    }

    enum Problem: Error, CustomStringConvertible, Equatable {
        case invalid(setting: String, value: String, expected: String)
        case unreadableFile(String, String)

        var description: String {
            switch self {
            case .invalid(let setting, let value, let expected): "\(setting) '\(value)' is not \(expected)"
            case .unreadableFile(let path, let reason): "cannot read configuration file \(path): \(reason)"
            }
        }
    }

    /// Applies one layer of settings (file, environment or flags) over this one.
    mutating func apply(_ layer: File) throws(Problem) {
        if let host = layer.host {
            self.host = host
            // Media follows a specific listener address unless told otherwise.
            if layer.mediaAddresses == nil { self.mediaAddresses = host == "0.0.0.0" || host == "::" ? [] : [host] }
        }
        if let port = layer.port {
            guard (1...65535).contains(port) else {
                throw .invalid(setting: "port", value: "\(port)", expected: "1-65535")
            }
            self.port = port
        }
        if let addresses = layer.mediaAddresses {
            self.mediaAddresses = addresses.filter { !$0.isEmpty }
            for address in self.mediaAddresses where !Self.isIPAddress(address) {
                throw .invalid(setting: "media address", value: address, expected: "an IPv4 or IPv6 address")
            }
        }
        if let advertised = layer.advertisedAddress {
            self.advertisedAddress = advertised.isEmpty ? nil : advertised
            if !advertised.isEmpty, !Self.isIPAddress(advertised) {
                throw .invalid(setting: "advertised address", value: advertised, expected: "an IPv4 or IPv6 address")
            }
        }
        if let range = layer.portRange { self.portRange = try Self.portRange(range) }
        if let workers = layer.workers {
            guard (1...256).contains(workers) else {
                throw .invalid(setting: "workers", value: "\(workers)", expected: "1-256")
            }
            self.workers = workers
        }
        if let level = layer.logLevel {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw .invalid(
                    setting: "log level",
                    value: level,
                    expected: "trace, debug, info, notice, warning or error"
                )
            }
            self.logLevel = parsed
        }
        if let delay = layer.maximumQueueDelay {
            guard (0...10_000).contains(delay) else {
                throw .invalid(setting: "maximum queue delay", value: "\(delay)", expected: "0-10000 milliseconds")
            }
            self.maximumQueueDelay = delay
        }
        if let bitrate = layer.maximumPublisherBitrate {
            guard bitrate == 0 || (100_000...1_000_000_000).contains(bitrate) else {
                throw .invalid(
                    setting: "maximum publisher bitrate",
                    value: "\(bitrate)",
                    expected: "100000-1000000000 bits per second (0: no limit)"
                )
            }
            self.maximumPublisherBitrate = bitrate
        }
        if let stun = layer.stunServer { self.stunServer = stun.isEmpty ? nil : stun }
        if let tcp = layer.iceTCP { self.iceTCP = tcp }
        if let servers = layer.clientICEServers { self.clientICEServers = servers.filter { !$0.isEmpty } }
        if let secret = layer.turnSecret { self.turnSecret = secret.isEmpty ? nil : secret }
        if let lifetime = layer.turnCredentialLifetime { self.turnCredentialLifetime = lifetime }
        if let policy = layer.iceTransportPolicy {
            guard let parsed = ICEServerDirectory.TransportPolicy(rawValue: policy) else {
                throw .invalid(setting: "ICE transport policy", value: policy, expected: "all or relay")
            }
            self.iceTransportPolicy = parsed
        }
        if let certificate = layer.tlsCertificate { self.tlsCertificate = certificate }
        if let key = layer.tlsKey { self.tlsKey = key }
        if let janus = layer.janus { try self.apply(janus) }
        for url in (layer.rtcCallbackURL.map { [$0] } ?? []) + (layer.webhookURLs ?? []) where !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalid(setting: "callback or webhook URL", value: url, expected: "an http:// or https:// URL")
            }
        }
        if let url = layer.rtcCallbackURL { self.rtcCallbackURL = url.isEmpty ? nil : url }
        if let urls = layer.webhookURLs { self.webhookURLs = urls.filter { !$0.isEmpty } }
        if let secret = layer.webhookSecret { self.webhookSecret = secret.isEmpty ? nil : secret }
        if let format = layer.recordingFormat {
            guard let known = JanusConfiguration.RecordingFormat(rawValue: format) else {
                throw .invalid(setting: "recording format", value: format, expected: "webm, mjr or both")
            }
            self.recordingFormat = known
        }
        if let root = layer.recordingsRoot {
            self.recordingsRoot = root.isEmpty ? nil : URL(fileURLWithPath: root).standardized.path
        }
        if let seconds = layer.drainTimeout {
            guard seconds >= 0 else {
                throw .invalid(setting: "drain timeout", value: "\(seconds)", expected: "seconds, 0 or more")
            }
            self.drainTimeout = seconds
        }
        if let secret = layer.adminSecret { self.adminSecret = secret.isEmpty ? nil : secret }
        if let host = layer.adminHost {
            guard !host.isEmpty else { throw .invalid(setting: "admin host", value: host, expected: "an address") }
            self.adminHost = host
        }
        if let port = layer.adminPort {
            guard (0...65535).contains(port) else {
                throw .invalid(setting: "admin port", value: "\(port)", expected: "0-65535 (0: no admin listener)")
            }
            self.adminPort = port
        }
        if let only = layer.privateOperations { self.privateOperations = only }
        for (name, value) in [
            ("connections per address", layer.connectionsPerAddress),
            ("requests per second", layer.requestsPerSecond), ("request burst", layer.requestBurst),
            ("Janus sessions per address", layer.janusSessionsPerAddress),
            ("Janus handles per address", layer.janusHandlesPerAddress),
        ] {
            if let value, !(0...1_000_000).contains(value) {
                throw .invalid(setting: name, value: "\(value)", expected: "0-1000000 (0: no limit)")
            }
        }
        if let limit = layer.connectionsPerAddress { self.clientLimits.connectionsPerAddress = limit }
        if let rate = layer.requestsPerSecond { self.clientLimits.requestsPerSecond = rate }
        if let burst = layer.requestBurst { self.clientLimits.requestBurst = burst }
        if let sessions = layer.janusSessionsPerAddress { self.clientLimits.janusSessionsPerAddress = sessions }
        if let handles = layer.janusHandlesPerAddress { self.clientLimits.janusHandlesPerAddress = handles }
        if let blocks = layer.trustedAddresses {
            // "none": every address is limited.
            var trusted: [AddressBlock] = []
            for text in blocks where !text.isEmpty && text != "none" {
                guard let block = AddressBlock(text) else {
                    throw .invalid(setting: "trusted address", value: text, expected: "an address or CIDR block")
                }
                trusted.append(block)
            }
            self.clientLimits.trusted = trusted
        }
    }

    /// Settings that are each valid but not together.
    func checkCombination() throws(Problem) {
        if self.privateOperations, self.adminPort == 0 {
            throw .invalid(
                setting: "private operations",
                value: "true",
                expected: "used with an admin port (/health and /metrics go there)"
            )
        }
        if self.adminPort != 0, self.adminPort == self.port {
            throw .invalid(
                setting: "admin port",
                value: "\(self.adminPort)",
                expected: "a port other than the listener's"
            )
        }
    }

    /// The Janus Admin API's secret: its own, else the server's administration secret.
    var janusAdminSecret: String? { self.janus.adminSecret ?? self.adminSecret }

    mutating func apply(_ janus: JanusSettings) throws(Problem) {
        for (name, port) in [
            ("Janus WebSocket port", janus.webSocketPort), ("Janus HTTP port", janus.httpPort),
            ("Janus admin port", janus.adminPort), ("Janus admin WebSocket port", janus.adminWebSocketPort),
        ] {
            if let port, !(0...65535).contains(port) {
                throw .invalid(setting: name, value: "\(port)", expected: "0-65535 (0 turns it off)")
            }
        }
        if let port = janus.webSocketPort { self.janusWebSocketPort = port }
        if let port = janus.httpPort { self.janusHTTPPort = port }
        if let port = janus.adminPort { self.janusAdminPort = port }
        if let port = janus.adminWebSocketPort { self.janusAdminWebSocketPort = port }
        if let secret = janus.adminSecret { self.janus.adminSecret = secret.isEmpty ? nil : secret }
        if let secret = janus.apiSecret { self.janus.apiSecret = secret.isEmpty ? nil : secret }
        if let tokens = janus.tokens { self.janus.tokens = tokens }
        if let key = janus.adminKey { self.janus.adminKey = key.isEmpty ? nil : key }
        for (name, seconds) in [
            ("session timeout", janus.sessionTimeout), ("reclaim timeout", janus.reclaimSessionTimeout),
        ] {
            if let seconds, seconds < 0 {
                throw .invalid(setting: "Janus \(name)", value: "\(seconds)", expected: "seconds, 0 or more")
            }
        }
        if let timeout = janus.sessionTimeout { self.janus.sessionTimeout = timeout }
        if let timeout = janus.reclaimSessionTimeout { self.janus.reclaimSessionTimeout = timeout }
        if let rooms = janus.rooms {
            for room in rooms {
                do {
                    _ = try JanusConfiguration.room(room)
                } catch {
                    throw .invalid(setting: "Janus room", value: room.text, expected: "a VideoRoom room (\(error))")
                }
            }
            self.janus.rooms = rooms
        }
        if let sample = janus.sampleRooms { self.janus.sampleRooms = sample }
        if let implicit = janus.implicitSessions { self.janus.implicitSessions = implicit }
    }

    /// The Janus face's configuration.
    var janusConfiguration: JanusConfiguration {
        let rooms =
            self.janus.rooms.map { $0.compactMap { try? JanusConfiguration.room($0) } }
            ?? (self.janus.sampleRooms == false ? [] : JanusConfiguration.sampleRooms)
        let timeout = self.janus.sessionTimeout ?? 60
        return JanusConfiguration(
            apiSecret: self.janus.apiSecret,
            tokens: self.janus.tokens.map(Set.init),
            adminKey: self.janus.adminKey,
            adminSecret: self.janusAdminSecret,
            sessionTimeout: timeout == 0 ? nil : .seconds(timeout),
            reclaimSessionTimeout: .seconds(self.janus.reclaimSessionTimeout ?? 0),
            rooms: rooms,
            implicitSessions: self.janus.implicitSessions ?? true,
            iceTCP: self.iceTCP,
            recordingsRoot: self.recordingsRoot,
            recordingFormat: self.recordingFormat
        )
    }

    /// The settings found in the environment (`SFU_HOST`, `SFU_PORT`, …).
    static func environment(_ environment: [String: String]) throws(Problem) -> File {
        func int(_ name: String) throws(Problem) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw .invalid(setting: name, value: text, expected: "a number") }
            return value
        }
        func bool(_ name: String) throws(Problem) -> Bool? {
            guard let text = environment[name] else { return nil }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw .invalid(setting: name, value: text, expected: "true or false")
            }
        }
        func list(_ name: String) -> [String]? {
            environment[name].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        return File(
            host: environment["SFU_HOST"],
            port: try int("SFU_PORT"),
            mediaAddresses: list("SFU_MEDIA_ADDRESSES"),
            advertisedAddress: environment["SFU_ADVERTISED_ADDRESS"],
            portRange: environment["SFU_PORT_RANGE"],
            workers: try int("SFU_WORKERS"),
            logLevel: environment["SFU_LOG_LEVEL"],
            maximumQueueDelay: try int("SFU_MAX_QUEUE_DELAY"),
            maximumPublisherBitrate: try int("SFU_MAX_PUBLISHER_BITRATE"),
            stunServer: environment["SFU_STUN_SERVER"],
            iceTCP: try bool("SFU_ICE_TCP"),
            clientICEServers: list("SFU_CLIENT_ICE_SERVERS"),
            turnSecret: environment["SFU_TURN_SECRET"],
            turnCredentialLifetime: try int("SFU_TURN_CREDENTIAL_TTL"),
            iceTransportPolicy: environment["SFU_ICE_TRANSPORT_POLICY"],
            tlsCertificate: environment["SFU_TLS_CERTIFICATE"],
            tlsKey: environment["SFU_TLS_KEY"],
            janus: JanusSettings(
                apiSecret: environment["SFU_JANUS_API_SECRET"],
                tokens: list("SFU_JANUS_TOKENS"),
                adminKey: environment["SFU_JANUS_ADMIN_KEY"],
                sessionTimeout: try int("SFU_JANUS_SESSION_TIMEOUT"),
                webSocketPort: try int("SFU_JANUS_WS_PORT"),
                httpPort: try int("SFU_JANUS_HTTP_PORT"),
                adminSecret: environment["SFU_JANUS_ADMIN_SECRET"],
                adminPort: try int("SFU_JANUS_ADMIN_PORT"),
                adminWebSocketPort: try int("SFU_JANUS_ADMIN_WS_PORT")
            ),
            rtcCallbackURL: environment["SFU_RTC_CALLBACK_URL"],
            webhookURLs: list("SFU_WEBHOOK_URLS"),
            webhookSecret: environment["SFU_WEBHOOK_SECRET"],
            recordingsRoot: environment["SFU_RECORDINGS_ROOT"],
            recordingFormat: environment["SFU_RECORDING_FORMAT"],
            drainTimeout: try int("SFU_DRAIN_TIMEOUT"),
            adminSecret: environment["SFU_ADMIN_SECRET"],
            adminHost: environment["SFU_ADMIN_HOST"],
            adminPort: try int("SFU_ADMIN_PORT"),
            privateOperations: try bool("SFU_PRIVATE_OPERATIONS"),
            connectionsPerAddress: try int("SFU_CONNECTIONS_PER_ADDRESS"),
            requestsPerSecond: try int("SFU_REQUESTS_PER_SECOND"),
            requestBurst: try int("SFU_REQUEST_BURST"),
            janusSessionsPerAddress: try int("SFU_JANUS_SESSIONS_PER_ADDRESS"),
            janusHandlesPerAddress: try int("SFU_JANUS_HANDLES_PER_ADDRESS"),
            trustedAddresses: list("SFU_TRUSTED_ADDRESSES")
        )
    }

    static func file(at path: String) throws(Problem) -> File {
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadableFile(path, "\(error)")
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// "50000-60000".
    static func portRange(_ text: String) throws(Problem) -> ClosedRange<UInt16> {
        let parts = text.split(separator: "-").map { UInt16($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low > 0, low <= high else {
            throw .invalid(setting: "port range", value: text, expected: "LOW-HIGH, for example 50000-60000")
        }
        return low...high
    }

    /// "host:port" of a STUN server.
    static func serverAddress(_ text: String) throws(Problem) -> ICEAgent.ServerAddress {
        let stripped = text.hasPrefix("stun:") ? String(text.dropFirst(5)) : text
        guard let colon = stripped.lastIndex(of: ":"), let port = UInt16(stripped[stripped.index(after: colon)...])
        else {
            return ICEAgent.ServerAddress(address: stripped, port: 3478)
        }
        return ICEAgent.ServerAddress(address: String(stripped[..<colon]), port: port)
    }

    /// The STUN/TURN servers handed to clients, checked: TURN needs the secret.
    func iceServerDirectory() throws(Problem) -> ICEServerDirectory {
        do {
            return try ICEServerDirectory(
                urls: self.clientICEServers,
                turnSecret: self.turnSecret,
                credentialLifetime: self.turnCredentialLifetime,
                transportPolicy: self.iceTransportPolicy
            )
        } catch {
            throw .invalid(
                setting: "client ICE servers",
                value: self.clientICEServers.joined(separator: ","),
                expected: "usable (\(error))"
            )
        }
    }

    /// How the media workers' transports gather candidates.
    func iceConfiguration() throws(Problem) -> ICEAgent.Configuration {
        ICEAgent.Configuration(
            localAddresses: self.mediaAddresses,
            portRange: self.portRange,
            advertisedAddress: self.advertisedAddress,
            stunServer: try self.stunServer.map { text throws(Problem) in try Self.serverAddress(text) },
            usesTCP: self.iceTCP,
            maximumQueueDelay: self.maximumQueueDelay == 0 ? nil : .milliseconds(self.maximumQueueDelay)
        )
    }
}
