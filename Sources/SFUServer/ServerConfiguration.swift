import Logging

/// Everything the `sfu` executable is configured with, with embedded defaults that
/// need no external service.
struct ServerConfiguration: Sendable {
    var host: String
    var port: Int
    var logLevel: Logger.Level

    static let defaults = ServerConfiguration(host: "127.0.0.1", port: 8080, logLevel: .info)
}
