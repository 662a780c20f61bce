import Foundation
public import Hummingbird
public import SFU

/// The operations face: health, metrics, the administration requests, the demo page and
/// its client module.
public enum SignalingRoutes {
    /// The version reported by `/health`.
    public static let version = "0.1.0"

    /// What one listener serves of this face.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `GET /` (the demo page) and `GET /sfu-client.js` (the browser client module).
        public static let demo = Parts(rawValue: 1)
        /// `GET /health` and `GET /metrics`.
        public static let operations = Parts(rawValue: 2)
        /// `GET /admin/rooms`, only with the administration secret (`AdminAccess`).
        public static let administration = Parts(rawValue: 4)
        public static let all: Parts = [.demo, .operations, .administration]
    }

    /// Adds `parts` of this face to `router`; `/admin/*` asks for `admin`'s secret.
    public static func addRoutes<Context: RequestContext>(
        to router: Router<Context>,
        server: MediaServer,
        counters: SignalingCounters,
        parts: Parts = .all,
        admin: AdminAccess = AdminAccess(secret: nil)
    ) {
        if parts.contains(.operations) {
            router.get("/health") { _, _ -> Response in
                let statistics = await server.statistics()
                // Draining: 503, so that a load balancer sends new calls elsewhere.
                return Self.json(
                    HealthReport(
                        activeRooms: statistics.rooms,
                        totalParticipants: statistics.participants,
                        version: Self.version,
                        draining: server.isDraining
                    ),
                    status: server.isDraining ? .serviceUnavailable : .ok
                )
            }
            router.get("/metrics") { _, _ -> Response in
                let text = MetricsExposition.render(
                    await server.statistics(),
                    signaling: counters,
                    workers: server.workers.count
                )
                return Self.page(text, type: "text/plain; version=0.0.4; charset=utf-8")
            }
        }
        if parts.contains(.administration) {
            router.get("/admin/rooms") { request, _ -> Response in
                if let refusal = admin.refusal(of: request, counters: counters) { return refusal }
                counters.countRequest(face: AdminAccess.face, type: "rooms")
                return Self.json(await server.describeRooms(), pretty: true)
            }
        }
        if parts.contains(.demo) {
            router.get("/") { _, _ -> Response in
                Self.page(DemoPage.html, type: "text/html; charset=utf-8")
            }
            router.get("/sfu-client.js") { _, _ -> Response in
                Self.page(ClientModule.javaScript, type: "text/javascript; charset=utf-8")
            }
        }
    }

    static func json(_ value: some Encodable, pretty: Bool = false, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data()))
        )
    }

    static func page(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
