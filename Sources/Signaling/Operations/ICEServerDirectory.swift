import DTLS
public import Foundation
public import Hummingbird

/// The STUN and TURN servers handed to clients, ready for `new RTCPeerConnection(…)`.
/// TURN entries carry time-limited credentials (docs/turn.md), the scheme of coturn's
/// `use-auth-secret`: the username is `<expiry>:<user>` (Unix seconds), the password is
/// base64(HMAC-SHA1(secret, username)), so the TURN server checks them with the shared
/// secret alone and refuses them once the expiry has passed.
public struct ICEServerDirectory: Sendable {
    /// The `stun:`/`stuns:` and the `turn:`/`turns:` URLs, each in the order configured.
    public let stunURLs: [String]
    public let turnURLs: [String]
    /// The secret shared with the TURN servers; required when a TURN URL is configured.
    public let turnSecret: String?
    /// How long credentials stay valid, in seconds.
    public let credentialLifetime: Int
    /// `iceTransportPolicy` for clients: `relay` makes them send only through TURN.
    public let transportPolicy: TransportPolicy

    public enum TransportPolicy: String, Sendable, CaseIterable {
        case all, relay
    }

    public static let defaultCredentialLifetime = 86_400
    static let faceName = "ice_servers"

    public struct Credentials: Sendable, Equatable {
        public let username: String
        public let password: String
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notAnICEServerURL(String)
        case turnWithoutSecret(String)
        case invalidLifetime(Int)
        case relayWithoutTURN

        public var description: String {
            switch self {
            case .notAnICEServerURL(let url): "'\(url)' is not a stun:, stuns:, turn: or turns: URL"
            case .turnWithoutSecret(let url): "the TURN server \(url) needs a TURN secret for its credentials"
            case .invalidLifetime(let seconds): "a credential lifetime of \(seconds) s is not 1 s to 1 year"
            case .relayWithoutTURN: "the relay transport policy needs a TURN server"
            }
        }
    }

    public init(
        urls: [String] = [],
        turnSecret: String? = nil,
        credentialLifetime: Int = Self.defaultCredentialLifetime,
        transportPolicy: TransportPolicy = .all
    ) throws(Problem) {
        var stun: [String] = []
        var turn: [String] = []
        for url in urls {
            guard let scheme = Self.scheme(url) else { throw .notAnICEServerURL(url) }
            if scheme.hasPrefix("turn") {
                guard turnSecret != nil else { throw .turnWithoutSecret(url) }
                turn.append(url)
            } else {
                stun.append(url)
            }
        }
        guard (1...31_536_000).contains(credentialLifetime) else { throw .invalidLifetime(credentialLifetime) }
        guard transportPolicy == .all || !turn.isEmpty else { throw .relayWithoutTURN }
        self.init(checked: stun, turn, turnSecret, credentialLifetime, transportPolicy)
    }

    private init(
        checked stunURLs: [String],
        _ turnURLs: [String],
        _ turnSecret: String?,
        _ credentialLifetime: Int,
        _ transportPolicy: TransportPolicy
    ) {
        self.stunURLs = stunURLs
        self.turnURLs = turnURLs
        self.turnSecret = turnSecret
        self.credentialLifetime = credentialLifetime
        self.transportPolicy = transportPolicy
    }

    /// No servers: clients use host candidates only.
    public static let none = ICEServerDirectory(checked: [], [], nil, defaultCredentialLifetime, .all)

    /// Credentials for `user` that expire at `expiry` (Unix seconds); without a user the
    /// username is the expiry alone, which coturn also takes.
    public static func credentials(secret: String, user: String?, expiry: Int) -> Credentials {
        let username = user.map { "\(expiry):\($0)" } ?? "\(expiry)"
        let code = MessageAuthentication.code(.sha1, key: Array(secret.utf8), message: Array(username.utf8))
        return Credentials(username: username, password: Data(code).base64EncodedString())
    }

    /// `RTCConfiguration.iceServers` for `user`: one entry with the STUN URLs, one with the
    /// TURN URLs and fresh credentials; empty when no server is configured.
    public func iceServers(for user: String?, now: Date = Date()) -> JSONValue {
        var servers: [JSONValue] = []
        if !self.stunURLs.isEmpty { servers.append(["urls": .array(self.stunURLs.map(JSONValue.string))]) }
        if !self.turnURLs.isEmpty, let secret = self.turnSecret {
            let expiry = Int(now.timeIntervalSince1970) + self.credentialLifetime
            let credentials = Self.credentials(secret: secret, user: user, expiry: expiry)
            servers.append([
                "urls": .array(self.turnURLs.map(JSONValue.string)),
                "username": .string(credentials.username),
                "credential": .string(credentials.password),
            ])
        }
        return .array(servers)
    }

    /// The body of `GET /ice-servers`: an `RTCConfiguration` (and `new Janus(…)` options)
    /// with how long its credentials last.
    public func configuration(for user: String?, now: Date = Date()) -> JSONValue {
        [
            "iceServers": self.iceServers(for: user, now: now),
            "iceTransportPolicy": .string(self.transportPolicy.rawValue),
            "ttl": .number(Double(self.credentialLifetime)),
        ]
    }

    /// Adds `GET /ice-servers?user=<id>` to `router`. `admits` decides from the request's
    /// `apisecret` and `token` query parameters (or an `Authorization: Bearer` token)
    /// whether it may have credentials.
    public func addRoutes<Context: RequestContext>(
        to router: Router<Context>,
        counters: SignalingCounters,
        admits: @escaping @Sendable (_ apiSecret: String?, _ token: String?) -> Bool
    ) {
        router.get("/ice-servers") { request, _ -> Response in
            let query = request.uri.queryParameters
            let bearer = request.headers[.authorization].flatMap { header in
                header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
            }
            guard admits(query["apisecret"].map(String.init), query["token"].map(String.init) ?? bearer) else {
                return Self.refuse(.unauthorized, "unauthorized", "a valid apisecret or token is required", counters)
            }
            let user = query["user"].map(String.init)
            if let user, !Identifier.isValid(user) {
                return Self.refuse(.badRequest, "invalid_user", "user is 1-128 of A-Z a-z 0-9 . _ @ + -", counters)
            }
            counters.countRequest(face: Self.faceName, type: "issued")
            return Self.response(.ok, self.configuration(for: user))
        }
        router.on("/ice-servers", method: .options) { _, _ in
            Response(status: .noContent, headers: Self.headers)
        }
    }

    static func refuse(
        _ status: HTTPResponse.Status,
        _ code: String,
        _ reason: String,
        _ counters: SignalingCounters
    ) -> Response {
        counters.countError(face: Self.faceName, code: code)
        return Self.response(status, ["error": .string(code), "reason": .string(reason)])
    }

    static let headers: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlAllowMethods: "GET, OPTIONS",
        .accessControlAllowHeaders: "Authorization",
        .contentType: "application/json",
        .cacheControl: "no-store",
    ]

    static func response(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(status: status, headers: Self.headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.text)))
    }

    static func scheme(_ url: String) -> String? {
        guard let colon = url.firstIndex(of: ":"), url.index(after: colon) < url.endIndex else { return nil }
        let scheme = url[..<colon].lowercased()
        return ["stun", "stuns", "turn", "turns"].contains(scheme) ? scheme : nil
    }
}
