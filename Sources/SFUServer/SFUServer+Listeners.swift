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

/// The listeners besides the public one: the Janus API's, its Admin API's and the admin
/// listener, and TLS for all of them.
extension SFUServer {
    /// The admin listener (`--admin-port`): `/admin/*` and, open there, `/health` and
    /// `/metrics`, on the admin host; nil without an admin port.
    static func adminApplication(
        _ server: MediaServer,
        _ counters: SignalingCounters,
        admin: AdminAccess,
        _ configuration: ServerConfiguration,
        logger: Logger
    ) throws -> (any Service)? {
        guard configuration.adminPort != 0 else { return nil }
        let router = Router()
        SignalingRoutes.addRoutes(
            to: router,
            server: server,
            counters: counters,
            parts: [.operations, .administration],
            admin: admin
        )
        let scheme = configuration.tlsCertificate == nil ? "http" : "https"
        let address = "\(scheme)://\(configuration.adminHost):\(configuration.adminPort)"
        return Application(
            router: router,
            server: try Self.withTLS(.http1(), configuration),
            configuration: .init(
                address: .hostname(configuration.adminHost, port: configuration.adminPort),
                serverName: "SwiftSFU"
            ),
            onServerRunning: { _ in logger.notice("admin listener (/admin, /health, /metrics) on \(address)") },
            logger: logger
        )
    }

    /// The Janus API's listeners: WebSocket and HTTP, each on its own port as in Janus.
    static func janusApplications(
        _ janus: JanusGateway,
        _ configuration: ServerConfiguration,
        iceServers: ICEServerDirectory,
        counters: SignalingCounters,
        limits: ClientLimits,
        logger: Logger
    ) throws -> [any Service] {
        var applications: [any Service] = []
        let scheme = configuration.tlsCertificate == nil ? "" : "s"
        let host = configuration.host
        /// One listener of the Janus face, told in the log once it runs.
        func listener<Responders: HTTPResponderBuilder>(
            _ router: Responders,
            port: Int,
            _ server: HTTPServerBuilder,
            _ announcement: String,
            host: String = configuration.host
        ) throws -> any Service
        where Responders.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
            Application(
                router: router,
                server: try Self.withTLS(server, configuration),
                configuration: .init(address: .hostname(host, port: port), serverName: "SwiftSFU"),
                onServerRunning: { _ in logger.notice("\(announcement)") },
                logger: logger
            )
        }
        func webSocket(_ router: Router<ClientRequestContext>, limits: ClientLimits?) -> HTTPServerBuilder {
            LimitedListener.http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(
                    http1: .init(idleTimeout: LimitedListener.idleTimeout),
                    ws: .init(maxFrameSize: 2 * JanusGateway.maximumMessageSize, closeTimeout: .seconds(2))
                ),
                limits: limits
            )
        }
        /// A public listener's router: the address's request rate, the Janus routes
        /// `addRoutes` gives, and the ICE servers' route.
        func publicRouter(_ addRoutes: (Router<ClientRequestContext>) -> Void) -> Router<ClientRequestContext> {
            let router = Router(context: ClientRequestContext.self)
            router.add(middleware: RequestRateMiddleware(limits: limits))
            addRoutes(router)
            iceServers.addRoutes(to: router, counters: counters, admits: janus.admits)
            return router
        }
        if configuration.janusWebSocketPort != 0 {
            let router = publicRouter { janus.addWebSocketRoutes(to: $0, limits: limits) }
            let port = configuration.janusWebSocketPort
            applications.append(
                try listener(
                    router,
                    port: port,
                    webSocket(router, limits: limits),
                    "Janus API (WebSocket, janus-protocol) on ws\(scheme)://\(host):\(port)"
                )
            )
        }
        if configuration.janusHTTPPort != 0 {
            let router = publicRouter { janus.addHTTPRoutes(to: $0) }
            let port = configuration.janusHTTPPort
            applications.append(
                try listener(
                    router,
                    port: port,
                    LimitedListener.http1(limits: limits),
                    "Janus API (HTTP) on http\(scheme)://\(host):\(port)/janus"
                )
            )
        }
        // The Admin API exists only with its secret, on the admin host.
        guard configuration.janusAdminSecret != nil else { return applications }
        let adminHost = configuration.adminHost
        if configuration.janusAdminPort != 0 {
            let router = Router()
            janus.addAdminRoutes(to: router)
            let port = configuration.janusAdminPort
            applications.append(
                try listener(
                    router,
                    port: port,
                    .http1(),
                    "Janus Admin API (HTTP) on http\(scheme)://\(adminHost):\(port)/admin",
                    host: adminHost
                )
            )
        }
        if configuration.janusAdminWebSocketPort != 0 {
            let router = Router(context: ClientRequestContext.self)
            janus.addAdminWebSocketRoutes(to: router)
            let port = configuration.janusAdminWebSocketPort
            applications.append(
                try listener(
                    router,
                    port: port,
                    // The admin host is private and every request needs the secret.
                    webSocket(router, limits: nil),
                    "Janus Admin API (WebSocket, janus-admin-protocol) on ws\(scheme)://\(adminHost):\(port)",
                    host: adminHost
                )
            )
        }
        return applications
    }

    /// Wraps the server in TLS (HTTPS and WSS) when a certificate and key are configured.
    static func withTLS(_ plain: HTTPServerBuilder, _ configuration: ServerConfiguration) throws -> HTTPServerBuilder {
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil):
            return plain
        case (let certificate?, let key?):
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificate)
                privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            } catch {
                throw ValidationError("cannot load the TLS certificate or key: \(error)")
            }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(privateKey)
            )
            return try .tls(plain, tlsConfiguration: tls)
        default:
            throw ValidationError("--tls-certificate and --tls-key go together")
        }
    }
}
