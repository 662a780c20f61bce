import ArgumentParser
import Hummingbird
import Logging
import Signaling

/// The `sfu` executable: reads its configuration and runs the server until SIGTERM/SIGINT.
@main
struct SFUServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfu",
        abstract: "SwiftSFU: a selective forwarding unit for WebRTC group calls."
    )

    @Option(name: .long, help: "Address the HTTP and WebSocket listener binds to.")
    var host: String = ServerConfiguration.defaults.host

    @Option(name: .long, help: "Port of the HTTP and WebSocket listener (demo page at /).")
    var port: Int = ServerConfiguration.defaults.port

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ServerConfiguration.defaults.logLevel.rawValue

    func run() async throws {
        guard let level = Logger.Level(rawValue: self.logLevel) else {
            throw ValidationError("unknown log level '\(self.logLevel)'")
        }
        let configuration = ServerConfiguration(host: self.host, port: self.port, logLevel: level)
        var logger = Logger(label: "sfu")
        logger.logLevel = configuration.logLevel
        let router = Router()
        SignalingRoutes.addRoutes(to: router)
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "SwiftSFU"
            ),
            logger: logger
        )
        try await app.runService()
    }
}
