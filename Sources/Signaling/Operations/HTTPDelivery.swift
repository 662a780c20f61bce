public import AsyncHTTPClient
import DTLS
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// POSTs JSON to services outside the server (webhooks, the call backend's callback URL),
/// off the media path: `post` queues and returns at once. Each URL has its own queue,
/// delivered in order; a failed POST (no connection, a timeout, a status other than 2xx)
/// is retried with exponential back-off, then given up and counted. A queue that is full
/// drops what comes next, counted, rather than grow.
///
/// With a secret, every POST carries `X-SwiftSFU-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of the body under the secret.
public final class HTTPDelivery: Sendable {
    public struct Policy: Sendable {
        public var attempts: Int
        public var firstDelay: Duration
        public var maximumDelay: Duration
        public var timeout: Duration
        public var queueLimit: Int

        public init(
            attempts: Int = 6,
            firstDelay: Duration = .milliseconds(250),
            maximumDelay: Duration = .seconds(30),
            timeout: Duration = .seconds(5),
            queueLimit: Int = 10_000
        ) {
            self.attempts = attempts
            self.firstDelay = firstDelay
            self.maximumDelay = maximumDelay
            self.timeout = timeout
            self.queueLimit = queueLimit
        }
    }

    struct Item: Sendable {
        var body: String
        var kind: String
        var id: UInt64
    }

    public static let signatureHeader = "X-SwiftSFU-Signature"

    let client: HTTPClient
    let policy: Policy
    let secret: [UInt8]?
    private let queues = Mutex<[String: AsyncStream<Item>.Continuation]>([:])
    /// Outcomes by kind of delivery (`webhook`, `rtc_callback`) and result (`delivered`,
    /// `retried`, `failed`, `dropped`), for `/metrics`.
    public let counters: SignalingCounters
    private let nextID = Atomic<UInt64>(1)

    public init(secret: String? = nil, policy: Policy = Policy(), counters: SignalingCounters = SignalingCounters()) {
        self.counters = counters
        self.client = HTTPClient(eventLoopGroupProvider: .singleton)
        self.policy = policy
        self.secret = secret.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    }

    /// Queues `body` for a POST to `url`; returns at once.
    public func post(_ body: String, to url: String, kind: String) {
        let item = Item(body: body, kind: kind, id: self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        let queue = self.queues.withLock { queues in
            if let queue = queues[url] { return queue }
            let (stream, queue) = AsyncStream<Item>.makeStream(
                bufferingPolicy: .bufferingOldest(self.policy.queueLimit)
            )
            queues[url] = queue
            Task { [self] in
                for await item in stream { await self.deliver(item, to: url) }
            }
            return queue
        }
        if case .dropped = queue.yield(item) { self.counters.countDelivery(kind: kind, result: "dropped") }
    }

    /// The signature header's value for `body`, when there is a secret.
    public func signature(of body: String) -> String? {
        guard let secret = self.secret else { return nil }
        let code = MessageAuthentication.code(.sha256, key: secret, message: Array(body.utf8))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Stops taking work and closes the client's connections.
    public func shutdown() async {
        let queues = self.queues.withLock { queues in
            defer { queues.removeAll() }
            return Array(queues.values)
        }
        for queue in queues { queue.finish() }
        try? await self.client.shutdown()
    }

    private func deliver(_ item: Item, to url: String) async {
        var delay = self.policy.firstDelay
        for attempt in 1...max(1, self.policy.attempts) {
            if await self.attempt(item, to: url, number: attempt) {
                self.counters.countDelivery(kind: item.kind, result: "delivered")
                return
            }
            guard attempt < self.policy.attempts else { break }
            self.counters.countDelivery(kind: item.kind, result: "retried")
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, self.policy.maximumDelay)
        }
        self.counters.countDelivery(kind: item.kind, result: "failed")
    }

    private func attempt(_ item: Item, to url: String, number: Int) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-SwiftSFU-Delivery", value: String(item.id))
        request.headers.add(name: "X-SwiftSFU-Attempt", value: String(number))
        if let signature = self.signature(of: item.body) {
            request.headers.add(name: Self.signatureHeader, value: signature)
        }
        request.body = .bytes(ByteBuffer(string: item.body))
        do {
            let seconds = Int64(self.policy.timeout.components.seconds)
            let response = try await self.client.execute(request, timeout: .seconds(max(1, seconds)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (200..<300).contains(Int(response.status.code))
        } catch {
            return false
        }
    }
}
