import Foundation
import Hummingbird
import HummingbirdTesting
import Signaling
import Testing

@Suite struct ICEServerDirectoryTests {
    // Expected passwords computed independently (Python's hmac and base64).
    @Test func credentialsAreCoturnsRESTScheme() {
        let alice = ICEServerDirectory.credentials(secret: "north-star", user: "alice", expiry: 1_800_000_000)
        #expect(alice.username == "1800000000:alice")
        #expect(alice.password == "+N5RUjMKbpKsrNZa3KVsk2m1pb8=")
        let anonymous = ICEServerDirectory.credentials(secret: "north-star", user: nil, expiry: 1_800_000_000)
        #expect(anonymous.username == "1800000000")
        #expect(anonymous.password == "4eK1aiZ2uHbI36JgYBjvDmOFQO0=")
    }

    @Test func turnURLsGetCredentialsThatExpireAfterTheLifetime() throws {
        let directory = try ICEServerDirectory(
            urls: ["stun:stun.example.org:3478", "turn:turn.example.org:3478", "turns:turn.example.org:443"],
            turnSecret: "north-star",
            credentialLifetime: 600
        )
        let now = Date(timeIntervalSince1970: 1_799_999_400)
        let servers = directory.iceServers(for: "alice", now: now)
        #expect(
            servers == [
                ["urls": ["stun:stun.example.org:3478"]],
                [
                    "urls": ["turn:turn.example.org:3478", "turns:turn.example.org:443"],
                    "username": "1800000000:alice",
                    "credential": "+N5RUjMKbpKsrNZa3KVsk2m1pb8=",
                ],
            ]
        )
        let configuration = directory.configuration(for: "alice", now: now)
        #expect(configuration["iceServers"] == servers)
        #expect(configuration["ttl"]?.intValue == 600)
        #expect(configuration["iceTransportPolicy"] == "all")
        #expect(ICEServerDirectory.none.iceServers(for: "alice") == [])
    }

    @Test func unusableConfigurationsAreRefused() {
        #expect(throws: ICEServerDirectory.Problem.turnWithoutSecret("turn:turn.example.org")) {
            try ICEServerDirectory(urls: ["turn:turn.example.org"])
        }
        #expect(throws: ICEServerDirectory.Problem.notAnICEServerURL("https://turn.example.org")) {
            try ICEServerDirectory(urls: ["https://turn.example.org"], turnSecret: "s")
        }
        #expect(throws: ICEServerDirectory.Problem.notAnICEServerURL("stun:")) {
            try ICEServerDirectory(urls: ["stun:"])
        }
        #expect(throws: ICEServerDirectory.Problem.invalidLifetime(0)) {
            try ICEServerDirectory(urls: [], turnSecret: "s", credentialLifetime: 0)
        }
        #expect(throws: ICEServerDirectory.Problem.relayWithoutTURN) {
            try ICEServerDirectory(urls: ["stun:127.0.0.1"], transportPolicy: .relay)
        }
        let relay = try? ICEServerDirectory(urls: ["turns:127.0.0.1"], turnSecret: "s", transportPolicy: .relay)
        #expect(relay?.configuration(for: nil)["iceTransportPolicy"] == "relay")
    }

    @Test func theEndpointChecksTheCallerAndTheUser() async throws {
        let directory = try ICEServerDirectory(urls: ["turn:127.0.0.1:3478"], turnSecret: "north-star")
        let counters = SignalingCounters()
        let router = Router()
        directory.addRoutes(to: router, counters: counters) { secret, token in secret == "api" || token == "t1" }
        try await Application(router: router).test(.router) { client in
            for (uri, headers, status) in [
                ("/ice-servers?user=alice&apisecret=api", HTTPFields(), HTTPResponse.Status.ok),
                ("/ice-servers?token=t1", [:], .ok),
                ("/ice-servers?user=bob", [.authorization: "Bearer t1"], .ok),
                ("/ice-servers?user=alice", [:], .unauthorized),
                ("/ice-servers?user=alice&apisecret=wrong", [:], .unauthorized),
                ("/ice-servers?user=a:b&apisecret=api", [:], .badRequest),
                ("/ice-servers?user=&apisecret=api", [:], .badRequest),
            ] {
                let asked = Int(Date().timeIntervalSince1970)
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.status == status, "\(uri)")
                    #expect(response.headers[.accessControlAllowOrigin] == "*")
                    let body = JSONValue.parse(String(buffer: response.body))
                    if status == .ok {
                        let username = body?["iceServers"]?.arrayValue?.first?["username"]?.stringValue ?? ""
                        let expiry = Int(username.split(separator: ":").first ?? "") ?? 0
                        let answered = Int(Date().timeIntervalSince1970)
                        let lifetime = ICEServerDirectory.defaultCredentialLifetime
                        #expect((asked + lifetime...answered + lifetime).contains(expiry), "\(username)")
                    } else {
                        #expect(
                            body?["error"]?.stringValue == (status == .badRequest ? "invalid_user" : "unauthorized")
                        )
                    }
                }
            }
        }
        #expect(counters.requestCounts.first { $0.key.face == "ice_servers" && $0.key.name == "issued" }?.value == 3)
        #expect(counters.errors(face: "ice_servers", code: "unauthorized") == 2)
        #expect(counters.errors(face: "ice_servers", code: "invalid_user") == 2)
    }
}
