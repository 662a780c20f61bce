/// The shapes of the Janus core's replies and events.
enum JanusReplies {
    /// Verbs counted by name in `/metrics`; anything else counts as "unknown".
    static let verbs: Set<String> = [
        "create", "attach", "message", "trickle", "keepalive", "destroy", "detach", "hangup", "claim", "info", "ping",
    ]

    static func success(transaction: String, session: UInt64?, data: JSONValue? = nil) -> JSONValue {
        var reply: [String: JSONValue] = ["janus": "success", "transaction": .string(transaction)]
        if let session { reply["session_id"] = JSONValue(session) }
        if let data { reply["data"] = data }
        return .object(reply)
    }

    static func ack(transaction: String, session: UInt64) -> JSONValue {
        ["janus": "ack", "session_id": JSONValue(session), "transaction": .string(transaction)]
    }

    static func error(_ error: JanusError, transaction: String?, session: UInt64?) -> JSONValue {
        var reply: [String: JSONValue] = [
            "janus": "error",
            "error": ["code": JSONValue(error.code), "reason": .string(error.reason)],
        ]
        if let transaction { reply["transaction"] = .string(transaction) }
        if let session { reply["session_id"] = JSONValue(session) }
        return .object(reply)
    }

    /// A plugin reply or event: `success` for a synchronous request, `event` otherwise.
    static func plugin(
        _ kind: String,
        data: JSONValue,
        session: UInt64,
        handle: UInt64,
        transaction: String?,
        jsep: JSONValue? = nil
    ) -> JSONValue {
        var reply: [String: JSONValue] = [
            "janus": .string(kind),
            "session_id": JSONValue(session),
            "sender": JSONValue(handle),
            "plugindata": ["plugin": .string(JanusGateway.pluginName), "data": data],
        ]
        if let transaction { reply["transaction"] = .string(transaction) }
        if let jsep { reply["jsep"] = jsep }
        return .object(reply)
    }

    /// An event about a handle (`webrtcup`, `media`, `hangup`, `detached`, `trickle`).
    static func handleEvent(
        _ kind: String,
        session: UInt64,
        handle: UInt64,
        _ fields: [String: JSONValue] = [:]
    )
        -> JSONValue
    {
        var event = fields
        event["janus"] = .string(kind)
        event["session_id"] = JSONValue(session)
        event["sender"] = JSONValue(handle)
        return .object(event)
    }

    static func serverInfo(transaction: String?, configuration: JanusConfiguration) -> JSONValue {
        var info: JSONValue = [
            "janus": "server_info",
            "name": "SwiftSFU (Janus API)",
            "version": JSONValue(JanusGateway.version.number),
            "version_string": .string(JanusGateway.version.string),
            "author": "SwiftSFU",
            "commit-hash": "not-a-janus-build",
            "compile-time": "",
            "log-to-stdout": true,
            "log-to-file": false,
            "data_channels": false,
            "accepting-new-sessions": true,
            "session-timeout": JSONValue(Int(configuration.sessionTimeout?.components.seconds ?? 0)),
            "reclaim-session-timeout": JSONValue(Int(configuration.reclaimSessionTimeout.components.seconds)),
            "candidates-timeout": 45,
            "server-name": "SwiftSFU",
            "local-ip": "127.0.0.1",
            "ipv6": false,
            "ice-lite": false,
            "ice-tcp": .bool(configuration.iceTCP),
            "full-trickle": false,
            "mdns-enabled": false,
            "min-nack-queue": 200,
            "twcc-period": 200,
            "dtls-mtu": 1200,
            "static-event-loops": 0,
            "api_secret": .bool(configuration.apiSecret != nil),
            "auth_token": .bool(configuration.tokens != nil),
            "event_handlers": false,
            "opaqueid_in_api": false,
            "dependencies": ["libnice": "system", "libsrtp": "libsrtp2", "openssl": "system"],
            "transports": [
                "janus.transport.websockets": [
                    "name": "JANUS WebSockets transport (SwiftSFU)", "version": JSONValue(JanusGateway.version.number),
                    "version_string": .string(JanusGateway.version.string),
                ],
                "janus.transport.http": [
                    "name": "JANUS REST (HTTP/HTTPS) transport (SwiftSFU)",
                    "version": JSONValue(JanusGateway.version.number),
                    "version_string": .string(JanusGateway.version.string),
                ],
            ],
            "events": [:],
            "loggers": [:],
            "plugins": [
                "janus.plugin.videoroom": [
                    "name": "JANUS VideoRoom plugin (SwiftSFU)", "version": 9,
                    "version_string": "0.0.9", "author": "SwiftSFU",
                    "description": "The VideoRoom plugin's API over SwiftSFU's routing core",
                ]
            ],
        ]
        if let transaction, case .object(var object) = info {
            object["transaction"] = .string(transaction)
            info = .object(object)
        }
        return info
    }
}
