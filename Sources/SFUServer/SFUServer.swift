import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOSSL
import SFU
import ServiceLifecycle
import Signaling
import UnixSignals

/// The `sfu` executable: reads its configuration and runs the server until SIGTERM or
/// SIGINT, then tells every client and closes every room before it exits.
@main
struct SFUServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfu",
        abstract: "SwiftSFU: a selective forwarding unit for WebRTC group calls.",
        discussion: """
            Every option can also be set by an environment variable (SFU_HOST, SFU_PORT, \
            SFU_MEDIA_ADDRESSES, SFU_ADVERTISED_ADDRESS, SFU_PORT_RANGE, SFU_WORKERS, SFU_LOG_LEVEL, SFU_MAX_QUEUE_DELAY, \
            SFU_STUN_SERVER, SFU_ICE_TCP, SFU_CLIENT_ICE_SERVERS, SFU_TURN_SECRET, SFU_TURN_CREDENTIAL_TTL, SFU_ICE_TRANSPORT_POLICY, SFU_TLS_CERTIFICATE, SFU_TLS_KEY, SFU_JANUS_WS_PORT, \
            SFU_JANUS_HTTP_PORT, SFU_JANUS_API_SECRET, SFU_JANUS_TOKENS, SFU_JANUS_ADMIN_KEY, \
            SFU_JANUS_ADMIN_SECRET, SFU_JANUS_ADMIN_PORT, SFU_JANUS_ADMIN_WS_PORT, \
            SFU_JANUS_SESSION_TIMEOUT, SFU_ADMIN_SECRET, SFU_ADMIN_HOST, SFU_ADMIN_PORT, \
            SFU_PRIVATE_OPERATIONS, SFU_CONNECTIONS_PER_ADDRESS, SFU_REQUESTS_PER_SECOND, SFU_REQUEST_BURST, \
            SFU_TRUSTED_ADDRESSES) or by the JSON file given with --config; flags win over the \
            environment, which wins over the file.
            """
    )

    @Option(help: "A JSON configuration file (keys as in docs/configuration.md).")
    var config: String?
    @Option(help: "Address the HTTP and WebSocket listener binds to (default 127.0.0.1).")
    var host: String?
    @Option(help: "Port of the HTTP and WebSocket listener; the demo page is at / (default 8080).")
    var port: Int?
    @Option(
        name: .customLong("media-address"),
        help: "Address to gather media candidates on; repeat for several (default: the listener's address)."
    )
    var mediaAddresses: [String] = []
    @Option(help: "Public address announced in candidates, for a server behind a 1:1 NAT.")
    var advertisedAddress: String?
    @Option(help: "UDP port range for media, LOW-HIGH (default: any).")
    var portRange: String?
    @Option(help: "Media worker threads (default: one per core).")
    var workers: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?
    @Option(
        name: .customLong("max-queue-delay"),
        help:
            "Milliseconds media may wait in a socket before its worker reads it; later, it is dropped (default 200, 0 for never)."
    )
    var maximumQueueDelay: Int?
    @Option(
        name: .customLong("max-publisher-bitrate"),
        help:
            "Bits per second one publisher may send; media beyond it is dropped and counted, and REMB never asks for more (default 20000000, 0 for no limit)."
    )
    var maximumPublisherBitrate: Int?
    @Option(help: "STUN server (host:port) to learn a server-reflexive address from.")
    var stunServer: String?
    @Flag(
        name: .customLong("ice-tcp"),
        inversion: .prefixedNo,
        help: "Gather ICE-TCP candidates beside UDP, for clients whose networks block UDP (default off)."
    )
    var iceTCP: Bool?
    @Option(name: .customLong("client-ice-server"), help: "An ICE server URL for browsers; repeat for several.")
    var clientICEServers: [String] = []
    @Option(help: "The secret shared with the TURN servers (coturn's static-auth-secret) that signs credentials.")
    var turnSecret: String?
    @Option(help: "How long TURN credentials stay valid, in seconds (default 86400).")
    var turnCredentialTTL: Int?
    @Option(help: "The iceTransportPolicy handed to clients: all, or relay to send only through TURN (default all).")
    var iceTransportPolicy: String?
    @Option(help: "PEM certificate chain for WSS/HTTPS.")
    var tlsCertificate: String?
    @Option(help: "PEM private key for WSS/HTTPS.")
    var tlsKey: String?
    @Option(
        name: .customLong("janus-ws-port"),
        help: "Port of the Janus API's WebSocket transport (default 8188, 0 for off)."
    )
    var janusWebSocketPort: Int?
    @Option(
        name: .customLong("janus-http-port"),
        help: "Port of the Janus API's HTTP transport (default 8088, 0 for off)."
    )
    var janusHTTPPort: Int?
    @Option(name: .customLong("janus-api-secret"), help: "The Janus API's api_secret.")
    var janusAPISecret: String?
    @Option(name: .customLong("janus-admin-key"), help: "The VideoRoom admin_key that room creation needs.")
    var janusAdminKey: String?
    @Option(
        name: .customLong("janus-admin-secret"),
        help: "The Janus Admin API's admin_secret; without it there is no Admin API."
    )
    var janusAdminSecret: String?
    @Option(
        name: .customLong("janus-admin-port"),
        help: "Port of the Janus Admin API (HTTP, /admin; default 7088, 0 for off), served only with a secret."
    )
    var janusAdminPort: Int?
    @Option(
        name: .customLong("janus-admin-ws-port"),
        help: """
            Port of the Janus Admin API over WebSocket (janus-admin-protocol; default 7188, 0 for off), \
            served only with a secret.
            """
    )
    var janusAdminWebSocketPort: Int?
    @Option(
        name: .customLong("rtc-callback-url"),
        help: "Where the RTC-server face POSTs its messages to the call backend."
    )
    var rtcCallbackURL: String?
    @Option(name: .customLong("webhook-url"), help: "A URL room events are POSTed to; repeat for several.")
    var webhookURLs: [String] = []
    @Option(name: .customLong("webhook-secret"), help: "The secret that signs webhooks and callbacks (HMAC-SHA256).")
    var webhookSecret: String?
    @Option(
        name: .customLong("recordings-root"),
        help: "The folder recordings must stay under, and where they go when a room names none (default: anywhere)."
    )
    var recordingsRoot: String?
    @Option(
        name: .customLong("recording-format"),
        help: "What recordings write: webm (one playable file per publisher), mjr (Janus's files) or both."
    )
    var recordingFormat: String?
    @Option(
        name: .customLong("drain-timeout"),
        help: "Seconds SIGTERM waits for live calls to end, refusing new ones, before shutting down (default 0)."
    )
    var drainTimeout: Int?
    @Option(
        name: .customLong("admin-secret"),
        help: """
            The secret /admin/* needs (Authorization: Bearer), and the Janus Admin API's admin_secret \
            unless --janus-admin-secret is given; without it there is no administration.
            """
    )
    var adminSecret: String?
    @Option(help: "Address of the admin listener and the Janus Admin API's ports (default 127.0.0.1).")
    var adminHost: String?
    @Option(help: "Port of a listener of its own for /admin/*, /health and /metrics (default 0: none).")
    var adminPort: Int?
    @Flag(
        name: .customLong("private-operations"),
        inversion: .prefixedNo,
        help: "Serve /health and /metrics on the admin listener only (default off)."
    )
    var privateOperations: Bool?
    @Option(help: "Signaling connections one client address may hold open (default 64, 0: no limit).")
    var connectionsPerAddress: Int?
    @Option(help: "Signaling requests per second one client address may send, sustained (default 50, 0: no limit).")
    var requestsPerSecond: Int?
    @Option(help: "Requests one client address may send at once above that rate (default 200).")
    var requestBurst: Int?
    @Option(help: "Janus API sessions one client address may hold (default 16, 0: no limit).")
    var janusSessionsPerAddress: Int?
    @Option(help: "Janus API handles one client address may hold over all its sessions (default 256, 0: no limit).")
    var janusHandlesPerAddress: Int?
    @Option(
        name: .customLong("trusted-address"),
        help:
            "An address or CIDR block the per-address limits leave alone; repeat for several (default: loopback and private networks; 'none' limits every address)."
    )
    var trustedAddresses: [String] = []

    func resolvedConfiguration(environment: [String: String]) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        let path = self.config ?? environment["SFU_CONFIG"]
        do {
            if let path { try configuration.apply(try ServerConfiguration.file(at: path)) }
            try configuration.apply(try ServerConfiguration.environment(environment))
            try configuration.apply(
                ServerConfiguration.File(
                    host: self.host,
                    port: self.port,
                    mediaAddresses: self.mediaAddresses.isEmpty ? nil : self.mediaAddresses,
                    advertisedAddress: self.advertisedAddress,
                    portRange: self.portRange,
                    workers: self.workers,
                    logLevel: self.logLevel,
                    maximumQueueDelay: self.maximumQueueDelay,
                    maximumPublisherBitrate: self.maximumPublisherBitrate,
                    stunServer: self.stunServer,
                    iceTCP: self.iceTCP,
                    clientICEServers: self.clientICEServers.isEmpty ? nil : self.clientICEServers,
                    turnSecret: self.turnSecret,
                    turnCredentialLifetime: self.turnCredentialTTL,
                    iceTransportPolicy: self.iceTransportPolicy,
                    tlsCertificate: self.tlsCertificate,
                    tlsKey: self.tlsKey,
                    janus: .init(
                        apiSecret: self.janusAPISecret,
                        adminKey: self.janusAdminKey,
                        webSocketPort: self.janusWebSocketPort,
                        httpPort: self.janusHTTPPort,
                        adminSecret: self.janusAdminSecret,
                        adminPort: self.janusAdminPort,
                        adminWebSocketPort: self.janusAdminWebSocketPort
                    ),
                    rtcCallbackURL: self.rtcCallbackURL,
                    webhookURLs: self.webhookURLs.isEmpty ? nil : self.webhookURLs,
                    webhookSecret: self.webhookSecret,
                    recordingsRoot: self.recordingsRoot,
                    recordingFormat: self.recordingFormat,
                    drainTimeout: self.drainTimeout,
                    adminSecret: self.adminSecret,
                    adminHost: self.adminHost,
                    adminPort: self.adminPort,
                    privateOperations: self.privateOperations,
                    connectionsPerAddress: self.connectionsPerAddress,
                    requestsPerSecond: self.requestsPerSecond,
                    requestBurst: self.requestBurst,
                    janusSessionsPerAddress: self.janusSessionsPerAddress,
                    janusHandlesPerAddress: self.janusHandlesPerAddress,
                    trustedAddresses: self.trustedAddresses.isEmpty ? nil : self.trustedAddresses
                )
            )
            try configuration.checkCombination()
            _ = try configuration.iceServerDirectory()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }

    func run() async throws {
        let configuration = try self.resolvedConfiguration(environment: ProcessInfo.processInfo.environment)
        // One level for every logger, which the Janus Admin API's set_log_level changes.
        let logLevels = LogLevelControl(configuration.logLevel)
        LoggingSystem.bootstrap { label in logLevels.handler(label: label) }
        let logger = Logger(label: "sfu")
        let server = try MediaServer(
            configuration: .init(
                workers: configuration.workers,
                ice: try configuration.iceConfiguration(),
                maximumPublisherBitrate: configuration.maximumPublisherBitrate == 0
                    ? nil : configuration.maximumPublisherBitrate
            )
        )
        let counters = SignalingCounters()
        let iceServers = try configuration.iceServerDirectory()
        let native = NativeFace(
            server: server,
            iceServers: iceServers,
            counters: counters,
            recordingsFolder: configuration.recordingsRoot
        )
        // Per client address: connections on every public listener, requests per second,
        // Janus sessions.
        let limits = ClientLimits(configuration.clientLimits, counters: counters)
        let janus = JanusGateway(
            server: server,
            configuration: configuration.janusConfiguration,
            counters: counters,
            logLevels: logLevels,
            limits: limits,
            logger: Logger(label: "janus")
        )
        let router = Router(context: ClientRequestContext.self)
        router.add(middleware: RequestRateMiddleware(limits: limits))
        let admin = AdminAccess(secret: configuration.adminSecret)
        // The public listener: the demo page, and what the admin listener does not take.
        var publicParts: SignalingRoutes.Parts = [.demo]
        if !configuration.privateOperations { publicParts.insert(.operations) }
        if configuration.adminPort == 0 { publicParts.insert(.administration) }
        SignalingRoutes.addRoutes(to: router, server: server, counters: counters, parts: publicParts, admin: admin)
        native.addRoutes(to: router, limits: limits)
        iceServers.addRoutes(to: router, counters: counters, admits: janus.admits)
        let delivery = HTTPDelivery(secret: configuration.webhookSecret, counters: counters)
        let rtc = RTCFace(
            server: server,
            callbackURL: configuration.rtcCallbackURL,
            delivery: delivery,
            counters: counters,
            recordingsFolder: configuration.recordingsRoot
        )
        rtc.addRoutes(to: router, limits: limits)
        _ = Webhooks(server: server, urls: configuration.webhookURLs, delivery: delivery)
        let plain = LimitedListener.http1WebSocketUpgrade(
            webSocketRouter: router,
            // A client that does not answer the close frame within 2 s is cut off, so that
            // one deaf client cannot hold a shutdown.
            configuration: .init(
                http1: .init(idleTimeout: LimitedListener.idleTimeout),
                ws: .init(maxFrameSize: NativeFace.maximumFrameSize, closeTimeout: .seconds(2))
            ),
            limits: limits
        )
        let scheme = configuration.tlsCertificate == nil ? "http" : "https"
        let app = Application(
            router: router,
            server: try Self.withTLS(plain, configuration),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "SwiftSFU"
            ),
            onServerRunning: { channel in
                logger.notice(
                    "SwiftSFU \(SignalingRoutes.version) listening on \(scheme)://\(configuration.host):\(configuration.port) (demo page at /), \(configuration.workers) media workers"
                )
            },
            logger: logger
        )
        let janusApps = try Self.janusApplications(
            janus,
            configuration,
            iceServers: iceServers,
            counters: counters,
            limits: limits,
            logger: logger
        )
        let adminApps = try Self.adminApplication(server, counters, admin: admin, configuration, logger: logger)
        let shutdown = ShutdownService(server: server, native: native, janus: janus, logger: logger)
        let drain = DrainService(server: server, timeout: .seconds(configuration.drainTimeout), logger: logger)
        // Services stop in reverse order: clients are told first, then the listeners
        // stop, then the rooms close.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: shutdown.mediaService)]
        // With both Janus API listeners off, the face does not run: no rooms of its own
        // (its Admin API alone needs none).
        if configuration.janusWebSocketPort != 0 || configuration.janusHTTPPort != 0 {
            services.append(.init(service: JanusService(gateway: janus)))
        }
        services.append(.init(service: app))
        services += (janusApps + (adminApps.map { [$0] } ?? [])).map { .init(service: $0) }
        services.append(.init(service: shutdown))
        // Shut down first: the calls end before anyone is told.
        services.append(.init(service: drain))
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
