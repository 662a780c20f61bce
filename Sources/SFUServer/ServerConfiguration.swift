import Foundation
import ICE
import Logging

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
    var stunServer: String?
    /// `iceServers` URLs handed to browsers (`stun:…`, `turn:…`).
    var clientICEServers: [String] = []
    /// PEM files of a certificate and key: WSS and HTTPS instead of WS and HTTP.
    var tlsCertificate: String?
    var tlsKey: String?

    /// The settings a configuration file may hold, all optional.
    struct File: Codable, Equatable {
        var host: String?
        var port: Int?
        var mediaAddresses: [String]?
        var advertisedAddress: String?
        var portRange: String?
        var workers: Int?
        var logLevel: String?
        var stunServer: String?
        var clientICEServers: [String]?
        var tlsCertificate: String?
        var tlsKey: String?
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
        if let stun = layer.stunServer { self.stunServer = stun.isEmpty ? nil : stun }
        if let servers = layer.clientICEServers { self.clientICEServers = servers }
        if let certificate = layer.tlsCertificate { self.tlsCertificate = certificate }
        if let key = layer.tlsKey { self.tlsKey = key }
    }

    /// The settings found in the environment (`SFU_HOST`, `SFU_PORT`, …).
    static func environment(_ environment: [String: String]) throws(Problem) -> File {
        func int(_ name: String) throws(Problem) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw .invalid(setting: name, value: text, expected: "a number") }
            return value
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
            stunServer: environment["SFU_STUN_SERVER"],
            clientICEServers: list("SFU_CLIENT_ICE_SERVERS"),
            tlsCertificate: environment["SFU_TLS_CERTIFICATE"],
            tlsKey: environment["SFU_TLS_KEY"]
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

    /// How the media workers' transports gather candidates.
    func iceConfiguration() throws(Problem) -> ICEAgent.Configuration {
        ICEAgent.Configuration(
            localAddresses: self.mediaAddresses,
            portRange: self.portRange,
            advertisedAddress: self.advertisedAddress,
            stunServer: try self.stunServer.map { text throws(Problem) in try Self.serverAddress(text) }
        )
    }
}
