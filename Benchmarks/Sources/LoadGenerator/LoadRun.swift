import Foundation
import ICE
import SDP
import Signaling

/// One step of the ladder: R rooms, P publishers in each, S subscriber peer connections
/// on every publisher's feed (one peer connection per feed, as janus.js 0.x and the
/// VideoRoom demo make them), driven through the Janus API or the native protocol; with
/// simulcast, L video encodings from every publisher. Or, per member, one subscriber
/// connection for each publisher that receives every other member's feed (a multistream
/// subscriber, as janus.js 1.x group calls make them): S is then P - 1.
struct LoadRun {
    struct Shape: Codable, Sendable {
        var rooms: Int
        var publishers: Int
        var subscribers: Int
        var layers = 1
        /// One subscriber connection per room member for all the others' feeds, rather
        /// than one per feed.
        var perMember = false

        var feeds: Int { self.rooms * self.publishers }
        var peers: Int { self.feeds * (self.perMember ? 2 : 1 + self.subscribers) }

        /// The simulcast encoding the `index`th subscriber of a feed asks for: the
        /// highest for the first, then each lower one in turn; nil without simulcast.
        func layer(ofSubscriber index: Int) -> Int? {
            self.layers > 1 ? self.layers - 1 - index % self.layers : nil
        }
    }

    /// Which API drives the server.
    enum Signaling: Sendable {
        /// The Janus API over WebSocket: a handle per peer connection, 256 to a session.
        case janus(url: String)
        /// SwiftSFU's native protocol: a WebSocket per participant.
        case native(url: String)
    }

    var signaling: Signaling
    var shape: Shape
    var serverPID: String?
    /// When set, the server's CPU is this core's busy time (see `CoreSample`).
    var serverCore: Int?
    var localAddress: String
    var settings: SyntheticMedia.Settings
    var warmUp: Duration
    var duration: Duration
    var setupTimeout: Duration
    var parallelSetups: Int
    var firstRoom: Int
    /// Where the server records every publisher, when it does.
    var recordTo: String?

    func run() async throws -> LoadReport {
        let worker = MediaWorker(name: "sfu-load")
        let fleet = try Fleet(
            worker: worker,
            localAddress: self.localAddress,
            streams: self.shape.feeds * self.settings.streamsPerFeed,
            settings: self.settings
        )
        _ = try await fleet.onWorker { $0.start() }
        var report = LoadReport(shape: self.shape)
        var closers: [@Sendable () async -> Void] = []
        do {
            let before = self.serverPID.flatMap { ProcessSample(pid: $0) }
            let setupStarted = ContinuousClock.now
            switch self.signaling {
            case .janus(let url): try await self.setUpJanus(url: url, fleet, closers: &closers)
            case .native(let url): try await self.setUpNative(url: url, fleet, closers: &closers)
            }
            report.setupSeconds = (ContinuousClock.now - setupStarted).seconds
            let afterSetup = self.serverPID.flatMap { ProcessSample(pid: $0) }
            try await Task.sleep(for: self.warmUp)
            try await self.measure(fleet, into: &report)
            if let before, let afterSetup {
                report.serverRSSBytes = afterSetup.residentBytes
                report.memoryPerPeerBytes = max(0, afterSetup.residentBytes - before.residentBytes) / self.shape.peers
            }
        } catch {
            report.failure = "\(error)"
        }
        // Last set up, first closed: Janus rooms are destroyed before the session.
        for close in closers.reversed() { await close() }
        _ = try? await fleet.onWorker { $0.stop() }
        worker.shutdown()
        return report
    }

    /// Rooms, publishers, then subscribers, over one Janus WebSocket.
    private func setUpJanus(url: String, _ fleet: Fleet, closers: inout [@Sendable () async -> Void]) async throws {
        let janus = JanusSignaling()
        closers.append { await janus.close() }
        try await janus.open(url: url)
        let admin = try await janus.attach { _ in }
        var feeds: [(room: Int, id: Int)] = []
        for index in 0..<self.shape.rooms {
            let room = self.firstRoom + index
            var create: [String: JSONValue] = [
                "request": "create", "room": .number(Double(room)),
                "publishers": .number(Double(self.shape.publishers)),
                "description": "sfu-load", "videocodec": "vp8", "audiocodec": "opus", "bitrate": 0,
                "notify_joining": false,
            ]
            if let folder = self.recordTo {
                create["record"] = true
                create["rec_dir"] = .string(folder)
            }
            _ = try await janus.message(admin, .object(create))
            // Janus rooms outlive their participants: destroyed at the end, so that runs
            // against one server (a soak) leave nothing behind.
            closers.append {
                _ = try? await janus.message(admin, ["request": "destroy", "room": .number(Double(room))])
            }
            for _ in 0..<self.shape.publishers {
                let publisher = JanusPublisher(feed: feeds.count, room: room)
                feeds.append((room, try await publisher.connect(janus, fleet, timeout: self.setupTimeout)))
            }
        }
        let timeout = self.setupTimeout
        let shape = self.shape
        let work: [JanusSubscriber]
        if shape.perMember {
            // Each member receives the others of its room.
            work = feeds.map { member in
                JanusSubscriber(
                    room: member.room,
                    feeds: feeds.filter { $0.room == member.room && $0.id != member.id }.map(\.id),
                    layer: nil
                )
            }
        } else {
            work = feeds.flatMap { feed in
                (0..<shape.subscribers).map {
                    JanusSubscriber(room: feed.room, feeds: [feed.id], layer: shape.layer(ofSubscriber: $0))
                }
            }
        }
        _ = try await Self.inParallel(work, width: self.parallelSetups) { subscriber in
            try await subscriber.connect(janus, fleet, timeout: timeout)
        }
    }

    /// The same through the native protocol: a participant (and a WebSocket) per peer
    /// connection; joining creates each room.
    private func setUpNative(url: String, _ fleet: Fleet, closers: inout [@Sendable () async -> Void]) async throws {
        var feeds: [(room: String, tracks: [String])] = []
        for index in 0..<self.shape.rooms {
            let room = "load-\(self.firstRoom + index)"
            for _ in 0..<self.shape.publishers {
                let publisher = NativePublisher(feed: feeds.count, room: room)
                let (socket, tracks) = try await publisher.connect(url: url, fleet, timeout: self.setupTimeout)
                if self.recordTo != nil, feeds.count % self.shape.publishers == 0 {
                    _ = try await socket.request(["type": "record", "recording": true])
                }
                closers.append { await socket.close() }
                feeds.append((room, tracks))
            }
        }
        let timeout = self.setupTimeout
        let shape = self.shape
        let subscriptions: [(room: String, tracks: [String], layer: Int?)] =
            shape.perMember
            ? feeds.indices.map { member in
                let others = feeds.indices.filter { $0 != member && feeds[$0].room == feeds[member].room }
                return (feeds[member].room, others.flatMap { feeds[$0].tracks }, nil)
            }
            : feeds.flatMap { feed in
                (0..<shape.subscribers).map { (feed.room, feed.tracks, shape.layer(ofSubscriber: $0)) }
            }
        let work = subscriptions.enumerated().map { ($0.offset, $0.element.room, $0.element.tracks, $0.element.layer) }
        let sockets = try await Self.inParallel(work, width: self.parallelSetups) { item in
            try await NativeSubscriber(room: item.1, tracks: item.2, layer: item.3).connect(
                url: url,
                fleet,
                index: item.0,
                timeout: timeout
            )
        }
        for socket in sockets { closers.append { await socket.close() } }
    }

    /// `body` of every item, `width` at a time; the results.
    static func inParallel<Item: Sendable, Result: Sendable>(
        _ items: [Item],
        width: Int,
        _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        var pending = items[...]
        var results: [Result] = []
        try await withThrowingTaskGroup(of: Result.self) { group in
            for _ in 0..<max(1, width) {
                guard let item = pending.popFirst() else { break }
                group.addTask { try await body(item) }
            }
            while let result = try await group.next() {
                results.append(result)
                guard let item = pending.popFirst() else { continue }
                group.addTask { try await body(item) }
            }
        }
        return results
    }

    /// The measured window: the server's CPU over it, and what the subscribers got of
    /// what the publishers sent in it.
    private func measure(_ fleet: Fleet, into report: inout LoadReport) async throws {
        let windowNanoseconds =
            UInt64(self.duration.components.seconds) * 1_000_000_000
            + UInt64(self.duration.components.attoseconds / 1_000_000_000)
        // The window starts on the worker, when the meter has it: a start taken before
        // the job ran would count what the publishers sent meanwhile as received and not
        // as sent (a job that waited 20 ms made 4 packets a subscriber "excess").
        _ = try await fleet.onWorker { fleet in
            let start = monotonicNanoseconds()
            fleet.meter.window = .init(start: start, end: start + windowNanoseconds)
        }
        let serverBefore = self.serverPID.flatMap { ProcessSample(pid: $0) }
        let coreBefore = self.serverCore.flatMap { CoreSample(core: $0) }
        let selfBefore = ProcessSample(pid: "self")
        try await Task.sleep(for: self.duration)
        let serverAfter = self.serverPID.flatMap { ProcessSample(pid: $0) }
        let coreAfter = self.serverCore.flatMap { CoreSample(core: $0) }
        let selfAfter = ProcessSample(pid: "self")
        // Packets sent at the end of the window may still be on their way.
        try await Task.sleep(for: .milliseconds(500))
        let meter = try await fleet.onWorker { $0.meter }
        let seconds = Double(windowNanoseconds) / 1e9
        report.windowSeconds = seconds
        // Stream by stream, so that a layer forwarded in place of another shows as loss
        // (and excess), not as a fair exchange.
        let expected = self.expected(sent: meter.sent)
        let delivered = zip(expected, meter.receivedByStream).reduce(0) { $0 + min($1.0, $1.1) }
        report.expectedPackets = expected.reduce(0, +)
        report.receivedPackets = meter.received
        report.excessPackets = meter.received - delivered
        report.loss =
            report.expectedPackets > 0
            ? 1 - Double(delivered) / Double(report.expectedPackets) : self.settings.idle ? 0 : 1
        report.forwardedPacketsPerSecond = Double(meter.received) / seconds
        report.forwardedMbitPerSecond = Double(meter.receivedBytes) * 8 / seconds / 1e6
        report.latencyMicroseconds = .init(meter.latency)
        report.deliveryLatencyMicroseconds = .init(meter.deliveryLatency)
        report.setupMilliseconds = .init(meter.setup, scale: 1_000)
        report.failedPeers = meter.failedPeers
        report.unrecognizedPackets = meter.unrecognized
        report.refusedSends = meter.refusedSends
        report.maximumSendLagMilliseconds = Double(meter.maximumSendLag) / 1e6
        let process = serverBefore.flatMap { before in
            serverAfter.map { Double($0.cpuNanoseconds - before.cpuNanoseconds) }
        }
        let core = coreBefore.flatMap { before in
            coreAfter.map { Double($0.busyNanoseconds - before.busyNanoseconds) }
        }
        if let process {
            report.serverProcessCPUPercent = process / Double(windowNanoseconds) * 100
            if meter.received > 0 { report.serverProcessCPUNanosecondsPerPacket = process / Double(meter.received) }
        }
        // The server's CPU: its core's when told which, else its threads'.
        let serverCPU = self.serverCore == nil ? process : core
        report.serverCPUSource = serverCPU == nil ? nil : self.serverCore.map { "core \($0)" } ?? "process"
        if let cpu = serverCPU {
            report.serverCPUMicrosecondsPerPeerSecond = cpu / 1_000 / seconds / Double(self.shape.peers)
            report.serverCPUPercent = cpu / Double(windowNanoseconds) * 100
            if meter.received > 0 { report.serverCPUNanosecondsPerPacket = cpu / Double(meter.received) }
        }
        if let serverBefore, let serverAfter, meter.received > 0 {
            let workers = Double(serverAfter.workerCPUNanoseconds - serverBefore.workerCPUNanoseconds)
            if workers > 0 { report.serverWorkerCPUNanosecondsPerPacket = workers / Double(meter.received) }
            report.serverThreads = serverAfter.threads
        }
        if let selfBefore, let selfAfter, meter.received > 0 {
            let cpu = Double(selfAfter.cpuNanoseconds - selfBefore.cpuNanoseconds)
            report.generatorCPUNanosecondsPerPacket = cpu / Double(meter.received)
            report.generatorCPUPercent = cpu / Double(windowNanoseconds) * 100
        }
    }
}

extension LoadRun {
    /// What the subscribers should have received of `sent`, by stamp stream: each feed's
    /// audio, and of its video the encoding each subscriber asked for.
    func expected(sent: [Int]) -> [Int] {
        var expected = Array(repeating: 0, count: sent.count)
        for feed in 0..<self.shape.feeds {
            for index in 0..<self.shape.subscribers {
                for stream in [
                    self.settings.stream(feed: feed),
                    self.settings.stream(feed: feed, layer: self.shape.layer(ofSubscriber: index) ?? 0),
                ] {
                    expected[stream] += sent[stream]
                }
            }
        }
        return expected
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
