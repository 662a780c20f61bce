import Logging
import SFU
import ServiceLifecycle
import Signaling

/// Routes room events to Janus clients and expires their idle sessions.
struct JanusService: Service {
    let gateway: JanusGateway

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.gateway.run()
        }
    }
}

/// A graceful drain: on SIGTERM/SIGINT with a drain timeout, the server takes no new
/// rooms or participants (`/health` answers 503 `draining`) and waits until every
/// participant has left or the timeout passes; then the shutdown goes on.
struct DrainService: Service {
    let server: MediaServer
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        guard self.timeout > .zero else { return }
        self.server.startDraining()
        let deadline = ContinuousClock.now + self.timeout
        var participants = await self.server.statistics().participants
        self.logger.notice("draining: \(participants) participants in calls, up to \(self.timeout)")
        while participants > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(200))
            participants = await self.server.statistics().participants
        }
        self.logger.notice(
            participants == 0 ? "drained: every call ended" : "drain timeout: \(participants) participants left"
        )
    }
}

/// Graceful shutdown: on SIGTERM/SIGINT every signaling client is told and disconnected,
/// then every room is closed (DTLS close_notify to each peer) and the workers stop.
struct ShutdownService: Service {
    let server: MediaServer
    let native: NativeFace
    let janus: JanusGateway
    let logger: Logger

    var mediaService: MediaService { MediaService(server: self.server, logger: self.logger) }

    func run() async throws {
        try? await gracefulShutdown()
        self.logger.notice("shutting down: telling clients")
        self.native.closeAll(reason: "server shutting down")
        await self.janus.closeAll()
    }

    struct MediaService: Service {
        let server: MediaServer
        let logger: Logger

        func run() async throws {
            try? await gracefulShutdown()
            let statistics = await self.server.statistics()
            self.logger.notice("closing \(statistics.rooms) rooms with \(statistics.participants) participants")
            await self.server.shutdown()
        }
    }
}
