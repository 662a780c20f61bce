public import Hummingbird

/// Who may use the administration requests (`/admin/*`): a request must carry the
/// secret as `Authorization: Bearer <secret>`. Without a configured secret there is no
/// administration at all. Refusals are counted as errors of the `admin` face.
public struct AdminAccess: Sendable {
    /// The `face` label of the administration requests' counters.
    public static let face = "admin"
    public let secret: String?

    public init(secret: String?) {
        self.secret = secret.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Why a request is refused, as counted and answered.
    public enum Refusal: String, Sendable {
        /// The server has no administration secret: `/admin/*` does not exist.
        case disabled = "admin_disabled"
        /// No `Authorization: Bearer` header, or not the secret.
        case unauthorized

        var status: HTTPResponse.Status { self == .disabled ? .forbidden : .unauthorized }
        var reason: String {
            switch self {
            case .disabled: "administration is off: start the server with --admin-secret"
            case .unauthorized: "this request needs the administration secret (Authorization: Bearer <secret>)"
            }
        }
    }

    /// Nil when `request` may go on; else the answer, counted.
    func refusal(of request: Request, counters: SignalingCounters) -> Response? {
        guard let refusal = self.check(request.headers[.authorization]) else { return nil }
        counters.countError(face: Self.face, code: refusal.rawValue)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-cache"]
        if refusal == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"sfu-admin\"" }
        let body = #"{"error":"\#(refusal.rawValue)","reason":"\#(refusal.reason)"}"#
        return Response(
            status: refusal.status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// The refusal for an `Authorization` header value, nil when it carries the secret.
    public func check(_ authorization: String?) -> Refusal? {
        guard let secret = self.secret else { return .disabled }
        let scheme = "Bearer "
        guard let authorization, authorization.count > scheme.count,
            authorization.prefix(scheme.count).lowercased() == scheme.lowercased()
        else { return .unauthorized }
        return Self.constantTimeEqual(Array(authorization.utf8.dropFirst(scheme.count)), Array(secret.utf8))
            ? nil : .unauthorized
    }

    /// Compares every byte whatever the first difference, so that the answer's time says
    /// nothing of how much of a guess was right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
