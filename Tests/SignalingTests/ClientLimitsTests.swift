import Foundation
import NIOCore
import NIOEmbedded
import SFU
import TestSupport
import Testing

@testable import Signaling

@Suite struct ClientLimitsTests {
    static let second: UInt64 = 1_000_000_000

    static func address(_ text: String) throws -> SocketAddress {
        try SocketAddress(ipAddress: text, port: 40000)
    }

    /// A Janus face whose clients are held to `configuration`, and the counters it counts
    /// refusals in.
    static func janusGateway(_ configuration: ClientLimits.Configuration) throws -> (JanusGateway, SignalingCounters) {
        let counters = SignalingCounters()
        let gateway = JanusGateway(
            server: try MediaServer(configuration: .init(workers: 1)),
            counters: counters,
            limits: ClientLimits(configuration, counters: counters)
        )
        return (gateway, counters)
    }

    @Test func connectionsPerAddressAreCountedAndGivenBack() throws {
        let counters = SignalingCounters()
        let limits = ClientLimits(.init(connectionsPerAddress: 2, trusted: []), counters: counters)
        let client = try Self.address("203.0.113.7")
        #expect(limits.open(.connection, from: client))
        #expect(limits.open(.connection, from: client))
        #expect(!limits.open(.connection, from: client))
        // Another address is not disturbed.
        #expect(limits.open(.connection, from: try Self.address("203.0.113.8")))
        limits.close(.connection, from: client)
        #expect(limits.open(.connection, from: client))
        #expect(counters.limitRefusalCounts.first { $0.limit == "connections" }?.count == 1)
    }

    @Test func requestsFollowATokenBucket() throws {
        let counters = SignalingCounters()
        let limits = ClientLimits(.init(requestsPerSecond: 10, requestBurst: 5, trusted: []), counters: counters)
        let client = try Self.address("198.51.100.1")
        let start: UInt64 = 1_000 * Self.second
        // The burst at once, then nothing until tokens come back: one per 100 ms.
        for _ in 0..<5 { #expect(limits.admitRequest(from: client, now: start)) }
        #expect(!limits.admitRequest(from: client, now: start))
        #expect(!limits.admitRequest(from: client, now: start + 50_000_000))
        #expect(limits.admitRequest(from: client, now: start + 150_000_000))
        #expect(!limits.admitRequest(from: client, now: start + 160_000_000))
        // Sustained: 10 per second over 3 s, whatever is asked.
        var admitted = 0
        for step in 0..<3_000
        where limits.admitRequest(from: client, now: start + Self.second + UInt64(step) * 1_000_000) {
            admitted += 1
        }
        #expect((29...36).contains(admitted), "\(admitted)")
        // An idle address gets its burst back, no more.
        let later = start + 100 * Self.second
        var burst = 0
        while limits.admitRequest(from: client, now: later) { burst += 1 }
        #expect(burst == 5)
        #expect((counters.limitRefusalCounts.first { $0.limit == "requests" }?.count ?? 0) > 0)
    }

    @Test func trustedBlocksAndIPv6PrefixesAreWhatTheySay() throws {
        let limits = ClientLimits(
            .init(
                connectionsPerAddress: 1,
                trusted: ["10.0.0.0/8", "2001:db8:ffff::/48"].compactMap(AddressBlock.init)
            ),
            counters: SignalingCounters()
        )
        // Trusted: never limited.
        for _ in 0..<5 { #expect(limits.open(.connection, from: try Self.address("10.200.3.4"))) }
        for _ in 0..<5 { #expect(limits.open(.connection, from: try Self.address("2001:db8:ffff:1::9"))) }
        // Just outside the block: limited.
        #expect(limits.open(.connection, from: try Self.address("11.0.0.1")))
        #expect(!limits.open(.connection, from: try Self.address("11.0.0.1")))
        // One IPv6 /64 is one client; the next /64 another.
        #expect(limits.open(.connection, from: try Self.address("2001:db8:1:2::1")))
        #expect(!limits.open(.connection, from: try Self.address("2001:db8:1:2:ffff::99")))
        #expect(limits.open(.connection, from: try Self.address("2001:db8:1:3::1")))
        // An IPv4-mapped IPv6 address is its IPv4 address.
        #expect(!limits.open(.connection, from: try Self.address("::ffff:11.0.0.1")))
        #expect(limits.open(.connection, from: try Self.address("::ffff:10.1.1.1")))
    }

    @Test func addressBlocksParseAsCIDR() {
        #expect(AddressBlock("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(AddressBlock("fc00::/7")?.description == "fc00::/7")
        #expect(AddressBlock("192.0.2.1")?.description == "192.0.2.1/32")
        for bad in ["", "10.0.0.0/33", "::/129", "example.org", "10.0.0.0/-1", "1.2.3/8", "10.0.0.0/8/8"] {
            #expect(AddressBlock(bad) == nil, "\(bad)")
        }
    }

    /// Many addresses, each seen once, do not stay in the table: idle entries are dropped.
    @Test func idleAddressesAreForgotten() throws {
        let limits = ClientLimits(
            .init(requestsPerSecond: 100, requestBurst: 10, trusted: []),
            counters: SignalingCounters()
        )
        var now: UInt64 = 10 * Self.second
        for index in 0..<20_000 {
            let address = try SocketAddress(ipAddress: "100.64.\(index / 250).\(index % 250)", port: 1)
            _ = limits.admitRequest(from: address, now: now)
            now += 200_000  // 5,000 addresses a second
        }
        #expect(limits.trackedAddresses < 12_000, "\(limits.trackedAddresses)")
    }

    struct Outcome: Decodable {
        struct Checks: Decodable {
            var connection_over_limit: String?
            var neighbour_served: Bool?
            var place_given_back: Bool?
            var flood_answers: [String: Int]?
            var neighbour_after_flood: String?
            var http_statuses: [String: Int]?
            var refusals_counted: [String: Double?]?
            var trickler_closed_after_s: Double?
            var silent_closed_after_s: Double?
            var neighbour_after_deadline: String?
        }
        var checks: Checks
        var failure: String?
        var server_exit: Int?
    }

    /// Janus sessions count against the address that made them (over HTTP or a
    /// WebSocket): one beyond the limit is refused with 429 and counted, a neighbour is
    /// served, and a destroyed session gives its place back.
    @Test func janusSessionsPerAddressAreCountedAndGivenBack() async throws {
        let (gateway, counters) = try Self.janusGateway(.init(janusSessionsPerAddress: 2, trusted: []))
        let client = try Self.address("203.0.113.7")
        let neighbour = try Self.address("203.0.113.8")
        func create(from address: SocketAddress) async -> JSONValue {
            await gateway.receive(#"{"janus":"create","transaction":"t"}"#, session: nil, handle: nil, from: address)
        }
        let first = await create(from: client)
        let second = await create(from: client)
        #expect(first["janus"] == "success" && second["janus"] == "success", "\(first) \(second)")
        let refused = await create(from: client)
        #expect(refused["error"]?["code"] == 429, "\(refused)")
        #expect(await create(from: neighbour)["janus"] == "success")
        // A WebSocket's sessions count against its connection's address.
        let (_, send) = AsyncStream<String>.makeStream()
        let connection = await gateway.open(send: send, address: client)
        await gateway.receive(#"{"janus":"create","transaction":"w"}"#, connection: connection)
        #expect(await gateway.census.sessions == 3)
        let session = try #require(first["data"]?["id"]?.intValue)
        let destroyed = await gateway.receive(
            #"{"janus":"destroy","transaction":"d"}"#,
            session: UInt64(session),
            handle: nil,
            from: client
        )
        #expect(destroyed["janus"] == "success", "\(destroyed)")
        #expect(await create(from: client)["janus"] == "success")
        #expect(await create(from: client)["error"]?["code"] == 429)
        #expect(counters.limitRefusalCounts.first { $0.limit == "sessions" }?.count == 3)
    }

    /// Janus handles count against their session's address over all its sessions: one
    /// beyond the limit is refused with 429 and counted, a neighbour attaches, and a
    /// detached handle and a destroyed session's handles give their places back.
    @Test func janusHandlesPerAddressAreCountedOverSessionsAndGivenBack() async throws {
        let (gateway, counters) = try Self.janusGateway(.init(janusHandlesPerAddress: 3, trusted: []))
        let client = try Self.address("203.0.113.7")
        let neighbour = try Self.address("203.0.113.8")
        func send(
            _ text: String,
            session: Int? = nil,
            handle: Int? = nil,
            from address: SocketAddress
        ) async
            -> JSONValue
        {
            let session = session.map(UInt64.init)
            return await gateway.receive(text, session: session, handle: handle.map(UInt64.init), from: address)
        }
        func session(from address: SocketAddress) async throws -> Int {
            try #require(await send(#"{"janus":"create","transaction":"c"}"#, from: address)["data"]?["id"]?.intValue)
        }
        let attach = #"{"janus":"attach","plugin":"janus.plugin.videoroom","transaction":"a"}"#
        let first = try await session(from: client)
        let second = try await session(from: client)
        let kept = try #require(await send(attach, session: first, from: client)["data"]?["id"]?.intValue)
        #expect(await send(attach, session: first, from: client)["janus"] == "success")
        #expect(await send(attach, session: second, from: client)["janus"] == "success")
        let refused = await send(attach, session: second, from: client)
        #expect(refused["error"]?["code"] == 429, "\(refused)")
        let other = try await session(from: neighbour)
        #expect(await send(attach, session: other, from: neighbour)["janus"] == "success")
        let detached = await send(#"{"janus":"detach","transaction":"d"}"#, session: first, handle: kept, from: client)
        #expect(detached["janus"] == "success", "\(detached)")
        #expect(await send(attach, session: second, from: client)["janus"] == "success")
        #expect(await send(attach, session: second, from: client)["error"]?["code"] == 429)
        let destroyed = await send(#"{"janus":"destroy","transaction":"x"}"#, session: second, from: client)
        #expect(destroyed["janus"] == "success")
        #expect(await send(attach, session: first, from: client)["janus"] == "success")
        #expect(await send(attach, session: first, from: client)["janus"] == "success")
        #expect(await send(attach, session: first, from: client)["error"]?["code"] == 429)
        #expect(await gateway.census.handles == 4)
        #expect(counters.limitRefusalCounts.first { $0.limit == "handles" }?.count == 3)
    }

    /// The `sfu` executable against an abusive address and its neighbour, on loopback:
    /// a connection over the limit answered 429 and closed, a flood of WebSocket messages
    /// answered `rate_limited` past the burst, HTTP requests 429 with `Retry-After`, the
    /// neighbour served all along, every refusal counted, and slow clients (half a request
    /// head, or nothing) closed at the head deadline (scripts/security/client_limits.py).
    @Test(.timeLimit(.minutes(2))) func theServerHoldsAnAbusiveAddressAndServesItsNeighbour() throws {
        guard let outcome: Outcome = try BrowserCallTests.run("scripts/security/client_limits.py", ["8310"]) else {
            return
        }
        let checks = outcome.checks
        print("client limits: flood \(checks.flood_answers ?? [:]), HTTP \(checks.http_statuses ?? [:])")
        #expect(outcome.failure == nil)
        #expect(checks.connection_over_limit?.hasPrefix("HTTP/1.1 429") == true)
        #expect(checks.neighbour_served == true)
        #expect(checks.place_given_back == true)
        #expect(checks.flood_answers?["rate_limited"] ?? 0 >= 38)
        #expect(checks.neighbour_after_flood == "unknown_type")
        #expect(checks.http_statuses?["429"] ?? 0 >= 8)
        // Slow clients closed at the head deadline (10 s); a WebSocket past it served.
        #expect((9...15).contains(checks.trickler_closed_after_s ?? 0))
        #expect((9...15).contains(checks.silent_closed_after_s ?? 0))
        #expect(checks.neighbour_after_deadline == "unknown_type")
        #expect(outcome.server_exit == 0)
    }
}

/// The first request head's deadline on a channel with no network: a head split across
/// reads or followed by a large body in the same read is seen, and the handler leaves;
/// nothing, or half a head, is closed at the deadline.
@Suite struct FirstRequestDeadlineTests {
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FirstRequestDeadline(.seconds(10)))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1)).wait()
        return channel
    }

    static func handlerLeft(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: FirstRequestDeadline.self)) == nil
    }

    @Test func aHeadSplitAcrossReadsIsSeen() throws {
        let channel = try Self.channel()
        for part in ["GET /ws HTTP/1.1\r\nHost: x\r", "\n\r", "\n"] {
            try channel.writeInbound(ByteBuffer(string: part))
        }
        #expect(Self.handlerLeft(channel))
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(channel.isActive)
        // Every byte went on, in order.
        var passed = ""
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { passed += String(buffer: buffer) }
        #expect(passed == "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
    }

    @Test func aHeadBeforeALargeBodyInOneReadIsSeen() throws {
        let channel = try Self.channel()
        let body = String(repeating: "v=0\r\n", count: 4_000)
        try channel.writeInbound(
            ByteBuffer(string: "POST /janus HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        )
        #expect(Self.handlerLeft(channel))
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(channel.isActive)
    }

    @Test func silenceAndHalfAHeadAreClosedAtTheDeadline() throws {
        for bytes in ["", "GET / HTTP/1.1\r\nX-Slow: "] {
            let channel = try Self.channel()
            if !bytes.isEmpty { try channel.writeInbound(ByteBuffer(string: bytes)) }
            channel.embeddedEventLoop.advanceTime(by: .seconds(9))
            #expect(channel.isActive)
            channel.embeddedEventLoop.advanceTime(by: .seconds(2))
            #expect(!channel.isActive)
        }
    }
}
