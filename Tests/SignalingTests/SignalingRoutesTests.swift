import Foundation
import Hummingbird
import HummingbirdTesting
import SFU
import Signaling
import Testing

@Suite struct SignalingRoutesTests {
    func withApplication(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let router = Router()
        SignalingRoutes.addRoutes(to: router, server: server, counters: SignalingCounters())
        try await server.createRoom("lobby", configuration: RoomConfiguration())
        try await Application(router: router).test(.live) { client in try await body(client) }
        await server.shutdown()
    }

    @Test func healthHasTheSeedServiceShape() async throws {
        try await self.withApplication { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let object =
                    try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                #expect(object?["status"] as? String == "healthy")
                let media = object?["media_server"] as? [String: Any]
                #expect(media?["connected"] as? Bool == true)
                #expect(media?["active_rooms"] as? Int == 1)
                #expect(media?["total_participants"] as? Int == 0)
                #expect(object?["version"] as? String == SignalingRoutes.version)
            }
        }
    }

    @Test func metricsAreInPrometheusTextFormat() async throws {
        try await self.withApplication { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE sfu_rooms gauge\nsfu_rooms 1\n"))
                #expect(text.contains("sfu_dropped_packets_total{reason=\"srtp_failure\"} 0"))
                #expect(text.contains("sfu_dropped_packets_total{reason=\"malformed_rtp\"} 0"))
                #expect(text.contains("# TYPE process_resident_memory_bytes gauge"))
                // Every sample line is `name{labels} value` or `name value`.
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    #expect(line.split(separator: " ").count == 2, "\(line)")
                }
            }
        }
    }

    @Test func demoPageAndClientModuleAreServed() async throws {
        try await self.withApplication { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("<h1>SwiftSFU</h1>"))
                #expect(String(buffer: response.body).contains("import { SFUClient } from '/sfu-client.js'"))
            }
            try await client.execute(uri: "/sfu-client.js", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(String(buffer: response.body).contains("export class SFUClient"))
            }
            try await client.execute(uri: "/admin/rooms", method: .get) { response in
                let rooms = try JSONDecoder().decode(
                    [RoomDescription].self,
                    from: Data(String(buffer: response.body).utf8)
                )
                #expect(rooms.map(\.name) == ["lobby"])
            }
        }
    }
}
