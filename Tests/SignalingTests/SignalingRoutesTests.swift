import Foundation
import Hummingbird
import HummingbirdTesting
import SFU
import Signaling
import Testing

@Suite struct SignalingRoutesTests {
    static let secret = "admin-secret-for-tests"

    func withApplication(
        parts: SignalingRoutes.Parts = .all,
        admin: AdminAccess = AdminAccess(secret: Self.secret),
        counters: SignalingCounters = SignalingCounters(),
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let server = try MediaServer(configuration: .init(workers: 1))
        let router = Router()
        SignalingRoutes.addRoutes(to: router, server: server, counters: counters, parts: parts, admin: admin)
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
                #expect(text.contains("# TYPE process_heap_in_use_bytes gauge"))
                #expect(text.contains("# TYPE process_heap_free_bytes gauge"))
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
            try await client.execute(
                uri: "/admin/rooms",
                method: .get,
                headers: [.authorization: "Bearer \(Self.secret)"]
            ) { response in
                let rooms = try JSONDecoder().decode(
                    [RoomDescription].self,
                    from: Data(String(buffer: response.body).utf8)
                )
                #expect(rooms.map(\.name) == ["lobby"])
            }
        }
    }

    @Test func administrationIsOffWithoutASecret() async throws {
        let counters = SignalingCounters()
        try await self.withApplication(admin: AdminAccess(secret: nil), counters: counters) { client in
            try await client.execute(uri: "/admin/rooms", method: .get, headers: [.authorization: "Bearer "]) {
                response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains(#""error":"admin_disabled""#))
            }
        }
        #expect(counters.errors(face: "admin", code: "admin_disabled") == 1)
    }

    @Test func administrationRefusesAMissingOrWrongSecret() async throws {
        let counters = SignalingCounters()
        try await self.withApplication(counters: counters) { client in
            for authorization in [nil, "Bearer", "Bearer wrong", "Basic \(Self.secret)", "Bearer \(Self.secret)x"] {
                var headers = HTTPFields()
                if let authorization { headers[.authorization] = authorization }
                try await client.execute(uri: "/admin/rooms", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(authorization ?? "none")")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    #expect(!String(buffer: response.body).contains("lobby"))
                }
            }
            // The scheme's case does not matter (RFC 9110 §11.1).
            try await client.execute(
                uri: "/admin/rooms",
                method: .get,
                headers: [.authorization: "bearer \(Self.secret)"]
            ) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(counters.errors(face: "admin", code: "unauthorized") == 5)
    }

    /// A listener serves only its parts: the public one without administration (an admin
    /// listener has it), or without health and metrics (`--private-operations`).
    @Test func aListenerServesOnlyItsParts() async throws {
        try await self.withApplication(parts: [.demo]) { client in
            for path in ["/health", "/metrics", "/admin/rooms"] {
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(Self.secret)"]) {
                    response in
                    #expect(response.status == .notFound, "\(path)")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func secretsCompareAsEqualityDoes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let a = (0..<Int.random(in: 0...6, using: &generator)).map { _ in UInt8.random(in: 0...2, using: &generator)
            }
            let b = (0..<Int.random(in: 0...6, using: &generator)).map { _ in UInt8.random(in: 0...2, using: &generator)
            }
            #expect(AdminAccess.constantTimeEqual(a, b) == (a == b), "\(a) \(b)")
        }
    }
}
