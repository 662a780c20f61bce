import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import Signaling

/// A WebSocket upgrade's request context is kept by Hummingbird's router together with
/// the handler, in a reference the context itself holds; the context must let go of it
/// once the connection closes, or every WebSocket connection's context stays for good.
@Suite struct ClientRequestContextTests {
    @Test func anUpgradedConnectionsContextIsFreedWhenItCloses() async throws {
        let channel = EmbeddedChannel()
        let router = Router(context: ClientRequestContext.self)
        router.ws("/ws") { _, _, _ in }
        let responder = router.buildResponder()
        weak var slot: WebSocketSlot<ClientRequestContext>?
        do {
            let context = ClientRequestContext(
                source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "test"))
            )
            slot = context.webSocketSlot
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "sfu", path: "/ws"),
                body: RequestBody(buffer: ByteBuffer())
            )
            let response = try await responder.respond(to: request, context: context)
            #expect(response.status == .ok)
        }
        // The router's handler reference holds the context, which holds the reference.
        #expect(slot != nil)
        try await channel.close()
        channel.embeddedEventLoop.run()
        #expect(slot == nil)
    }

    @Test func aPlainRequestsContextWatchesNothing() throws {
        let channel = EmbeddedChannel()
        weak var slot: WebSocketSlot<ClientRequestContext>?
        do {
            let context = ClientRequestContext(
                source: ApplicationRequestContextSource(channel: channel, logger: Logger(label: "test"))
            )
            slot = context.webSocketSlot
        }
        #expect(slot == nil)
        _ = try channel.finish()
    }
}
