import Foundation
import Logging
import SFU
import TestSupport
import Testing

@testable import Signaling

/// The Janus Admin API as a deployment's tools use it: never open without a secret;
/// sessions and handles listed, described and destroyed; `token_auth`'s stored tokens
/// added and removed at run time, and requests admitted by them from then on.
@Suite struct JanusAdminTests {
    static func admin(_ gateway: JanusGateway, _ request: JSONValue) async -> JSONValue {
        await gateway.admin(request.text)
    }

    @Test func withoutASecretThereIsNoAdminAPI() async throws {
        let gateway = try JanusGatewayTests.gateway()
        let reply = await Self.admin(gateway, ["janus": "ping", "transaction": "p"])
        #expect(reply["error"]?["code"] == 403, "\(reply)")
        let guessed = await Self.admin(gateway, ["janus": "ping", "transaction": "p", "admin_secret": ""])
        #expect(guessed["error"]?["code"] == 403)
    }

    @Test func sessionsAndHandlesAreListedDescribedAndDestroyed() async throws {
        let gateway = try JanusGatewayTests.gateway(JanusConfiguration(adminSecret: "s3cret"))
        #expect(
            await Self.admin(gateway, ["janus": "ping", "transaction": "p", "admin_secret": "wrong"])["error"]?["code"]
                == 403
        )
        #expect(
            await Self.admin(gateway, ["janus": "ping", "transaction": "p", "admin_secret": "s3cret"])["janus"]
                == "pong"
        )
        let info = await Self.admin(gateway, ["janus": "info", "transaction": "i", "admin_secret": "s3cret"])
        #expect(info["janus"] == "server_info")

        let (session, handle) = try await JanusGatewayTests.session(gateway)
        _ = try await JanusGatewayTests.event(
            gateway,
            ["request": "create", "room": 1234],
            session: session,
            handle: handle
        )
        _ = try await JanusGatewayTests.event(
            gateway,
            ["request": "join", "room": 1234, "ptype": "publisher", "display": "Ann"],
            session: session,
            handle: handle
        )
        let sessions = await Self.admin(
            gateway,
            ["janus": "list_sessions", "transaction": "l", "admin_secret": "s3cret"]
        )
        #expect(sessions["sessions"]?.arrayValue?.map(\.intValue) == [Int(session)], "\(sessions)")
        let handles = await Self.admin(
            gateway,
            ["janus": "list_handles", "transaction": "h", "admin_secret": "s3cret", "session_id": JSONValue(session)]
        )
        #expect(handles["handles"]?.arrayValue?.map(\.intValue) == [Int(handle)], "\(handles)")
        let described = await gateway.admin(
            (["janus": "handle_info", "transaction": "d", "admin_secret": "s3cret"] as JSONValue).text,
            session: session,
            handle: handle
        )
        let specific = described["info"]?["plugin_specific"]
        #expect(described["info"]?["plugin"] == "janus.plugin.videoroom", "\(described)")
        #expect(specific?["type"] == "publisher" && specific?["room"] == 1234 && specific?["display"] == "Ann")
        let unknown = await Self.admin(
            gateway,
            ["janus": "list_handles", "transaction": "u", "admin_secret": "s3cret", "session_id": 99]
        )
        #expect(unknown["error"]?["code"] == 458)

        let destroyed = await Self.admin(
            gateway,
            [
                "janus": "destroy_session", "transaction": "x", "admin_secret": "s3cret",
                "session_id": JSONValue(session),
            ]
        )
        #expect(destroyed["janus"] == "success", "\(destroyed)")
        let after = await Self.admin(gateway, ["janus": "list_sessions", "transaction": "l", "admin_secret": "s3cret"])
        #expect(after["sessions"]?.arrayValue?.isEmpty == true)
        #expect(await gateway.census.publishers == 0)
        let nonsense = await Self.admin(gateway, ["janus": "reboot", "transaction": "n", "admin_secret": "s3cret"])
        #expect(nonsense["error"]?["code"] == 453)
    }

    @Test func tokensAddedAtRunTimeAdmitRequestsUntilRemoved() async throws {
        let gateway = try JanusGatewayTests.gateway(JanusConfiguration(tokens: [], adminSecret: "s3cret"))
        func create(_ token: String?) async -> JSONValue {
            var request: [String: JSONValue] = ["janus": "create", "transaction": "c"]
            if let token { request["token"] = .string(token) }
            return await JanusGatewayTests.post(gateway, .object(request))
        }
        func admin(_ verb: String, _ token: String? = nil) async -> JSONValue {
            var request: [String: JSONValue] = ["janus": .string(verb), "transaction": "a", "admin_secret": "s3cret"]
            if let token { request["token"] = .string(token) }
            return await Self.admin(gateway, .object(request))
        }
        #expect(await create(nil)["error"]?["code"] == 403)
        #expect(await create("t-1")["error"]?["code"] == 403)
        let added = await admin("add_token", "t-1")
        #expect(added["data"]?["plugins"] == ["janus.plugin.videoroom"], "\(added)")
        #expect(await create("t-1")["janus"] == "success")
        #expect(await create("t-2")["error"]?["code"] == 403)
        let listed = await admin("list_tokens")
        #expect(listed["data"]?["tokens"]?.arrayValue?.map { $0["token"] } == ["t-1"], "\(listed)")
        #expect(await admin("remove_token", "t-1")["janus"] == "success")
        #expect(await create("t-1")["error"]?["code"] == 403)
        #expect(await admin("remove_token", "t-1")["error"]?["code"] == 490)
        #expect(await admin("add_token")["error"]?["code"] == 456)

        // Without token_auth there are no stored tokens to change.
        let open = try JanusGatewayTests.gateway(JanusConfiguration(adminSecret: "s3cret"))
        let refused = await Self.admin(
            open,
            ["janus": "add_token", "transaction": "a", "admin_secret": "s3cret", "token": "t"]
        )
        #expect(refused["error"]?["code"] == 490, "\(refused)")
    }

    /// SwiftSFU's `drain` (an operator's, rather than SIGTERM's): new rooms are refused
    /// with Janus's 499 "draining" while it lasts; `stop_draining` takes them again.
    @Test func anAdminDrainRefusesNewRoomsUntilCalledOff() async throws {
        let gateway = try JanusGatewayTests.gateway(JanusConfiguration(adminSecret: "s3cret"))
        let (session, handle) = try await JanusGatewayTests.session(gateway)
        func create(_ room: Int) async throws -> JSONValue {
            try await JanusGatewayTests.event(
                gateway,
                ["request": "create", "room": .number(Double(room))],
                session: session,
                handle: handle
            )
        }
        let drained = await Self.admin(gateway, ["janus": "drain", "transaction": "d", "admin_secret": "s3cret"])
        #expect(drained["draining"] == true && drained["participants"] == 0, "\(drained)")
        let refused = try await create(41)
        #expect(refused["plugindata"]?["data"]?["error_code"] == 499, "\(refused)")
        let resumed = await Self.admin(
            gateway,
            ["janus": "stop_draining", "transaction": "r", "admin_secret": "s3cret"]
        )
        #expect(resumed["draining"] == false)
        let created = try await create(42)
        #expect(created["plugindata"]?["data"]?["videoroom"] == "created", "\(created)")
    }

    /// `set_log_level` (Janus's 0-7) changes the level every logger of the process
    /// filters by, as `get_status` then reports; a level out of range is refused.
    @Test func theLogLevelChangesForEveryLogger() async throws {
        let levels = LogLevelControl(.info)
        let server = try MediaServer(configuration: .init(workers: 1))
        defer { Task { await server.shutdown() } }
        let gateway = JanusGateway(
            server: server,
            configuration: JanusConfiguration(adminSecret: "s3cret"),
            logLevels: levels
        )
        let logger = Logger(label: "test", factory: levels.handler(label:))
        #expect(logger.logLevel == .info)
        func set(_ level: JSONValue) async -> JSONValue {
            await Self.admin(
                gateway,
                ["janus": "set_log_level", "level": level, "transaction": "l", "admin_secret": "s3cret"]
            )
        }
        #expect(await set(7)["level"] == 7)
        #expect(logger.logLevel == .trace && Logger(label: "later", factory: levels.handler(label:)).logLevel == .trace)
        let status = await Self.admin(gateway, ["janus": "get_status", "transaction": "g", "admin_secret": "s3cret"])
        #expect(status["status"]?["log_level"] == 7, "\(status)")
        #expect(await set(2)["level"] == 2)
        #expect(logger.logLevel == .error)
        #expect(await set(8)["error"]?["code"] == 467)
        #expect(await set("debug")["error"]?["code"] == 467)
        #expect(logger.logLevel == .error)
    }
}
