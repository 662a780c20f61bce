import Foundation
import Hummingbird
import HummingbirdTesting
import Signaling
import Testing

@Suite struct SignalingRoutesTests {
    func makeApplication() -> some ApplicationProtocol {
        let router = Router()
        SignalingRoutes.addRoutes(to: router)
        return Application(router: router)
    }

    @Test func healthHasTheSeedServiceShape() async throws {
        try await self.makeApplication().test(.live) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let object =
                    try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                #expect(object?["status"] as? String == "healthy")
                let media = object?["media_server"] as? [String: Any]
                #expect(media?["connected"] as? Bool == true)
                #expect(media?["active_rooms"] as? Int == 0)
                #expect(object?["version"] as? String == SignalingRoutes.version)
            }
        }
    }

    @Test func demoPageIsServedAtRoot() async throws {
        try await self.makeApplication().test(.live) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("<h1>SwiftSFU</h1>"))
            }
        }
    }
}
