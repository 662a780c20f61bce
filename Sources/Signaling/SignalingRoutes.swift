import Foundation
public import Hummingbird

/// The HTTP routes of the signaling faces. Each face adds its own routes here; this
/// first set is the operations face: health and the demo page.
public enum SignalingRoutes {
    /// The version reported by `/health`.
    public static let version = "0.1.0"

    /// Adds `GET /health` and `GET /` (the demo page) to `router`.
    public static func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/health") { _, _ -> Response in
            let report = HealthReport(activeRooms: 0, totalParticipants: 0, version: Self.version)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(report)) ?? Data()
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DemoPage.html))
            )
        }
    }
}
