import Foundation
public import Hummingbird
public import SFU

/// The operations face: health, metrics, the demo page and its client module.
public enum SignalingRoutes {
    /// The version reported by `/health`.
    public static let version = "0.1.0"

    /// Adds `GET /health`, `GET /metrics`, `GET /admin/rooms`, `GET /` (the demo page)
    /// and `GET /sfu-client.js` (the browser client module) to `router`.
    public static func addRoutes<Context: RequestContext>(
        to router: Router<Context>,
        server: MediaServer,
        counters: SignalingCounters
    ) {
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
        router.get("/admin/rooms") { _, _ -> Response in
            Self.json(await server.describeRooms(), pretty: true)
        }
        router.get("/") { _, _ -> Response in
            Self.page(DemoPage.html, type: "text/html; charset=utf-8")
        }
        router.get("/sfu-client.js") { _, _ -> Response in
            Self.page(ClientModule.javaScript, type: "text/javascript; charset=utf-8")
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
