public import DTLS
public import ICE
public import RTP
public import Recording
import Synchronization

/// The routing core as the signaling faces see it: a pool of media workers and the rooms
/// on them, by name. This is where threads meet (DESIGN.md): a face's request becomes a
/// job on the room's worker, and the room's events come back through the observers.
public final class MediaServer: Sendable {
    public struct Configuration: Sendable {
        /// Media workers, one thread each (one per core by default).
        public var workers: Int
        /// The DTLS certificate every transport presents; generated when `nil`.
        public var certificate: DTLSCertificate?
        /// How transports gather candidates: addresses, port range, advertised address.
        public var ice: ICEAgent.Configuration
        /// The most media one publisher may send, bits per second (every room's
        /// `maximumPublisherBitrate`); `nil` for no limit.
        public var maximumPublisherBitrate: Int?

        public init(
            workers: Int = 1,
            certificate: DTLSCertificate? = nil,
            ice: ICEAgent.Configuration = .init(),
            maximumPublisherBitrate: Int? = nil
        ) {
            self.workers = workers
            self.certificate = certificate
            self.ice = ice
            self.maximumPublisherBitrate = maximumPublisherBitrate
        }
    }

    /// A room and the worker it lives on; the room is only touched on that worker.
    struct Entry: @unchecked Sendable {
        let worker: MediaWorker
        let room: Room
    }

    public let workers: [MediaWorker]
    /// Writes recordings, on a thread of its own (idle until a recording starts).
    public let recorder = Recorder()
    public let certificate: DTLSCertificate
    private let draining = Atomic<Bool>(false)
    let ice: ICEAgent.Configuration
    let maximumPublisherBitrate: Int?
    private let rooms = Mutex<[String: Entry]>([:])
    private let observers = Mutex<[@Sendable (String, RoomEvent) -> Void]>([])
    private let roomObservers = Mutex<[@Sendable (String, Bool) -> Void]>([])
    /// Counts of rooms already destroyed, so that totals never go down.
    private let destroyed = Mutex(MediaStatistics())

    public init(configuration: Configuration) throws(SFUError) {
        do {
            self.certificate = try configuration.certificate ?? DTLSCertificate()
        } catch {
            throw .transport("DTLS certificate: \(error)")
        }
        self.ice = configuration.ice
        self.maximumPublisherBitrate = configuration.maximumPublisherBitrate
        self.workers = (0..<max(1, configuration.workers)).map { MediaWorker(name: "media-\($0)") }
    }

    /// Adds a handler for every room's events. It runs on the room's worker: it must be
    /// quick and must not wait (hand the event to an `AsyncStream`, say).
    public func observe(_ handler: @escaping @Sendable (_ room: String, _ event: RoomEvent) -> Void) {
        self.observers.withLock { $0.append(handler) }
    }

    func notify(_ room: String, _ event: RoomEvent) {
        for observer in self.observers.withLock({ $0 }) { observer(room, event) }
    }

    /// Adds a handler for rooms starting (`true`: created) and finishing (`false`:
    /// closed). It runs on the room's worker or the caller's task: quick, never waiting.
    public func observeRooms(_ handler: @escaping @Sendable (_ room: String, _ started: Bool) -> Void) {
        self.roomObservers.withLock { $0.append(handler) }
    }

    func notifyRoom(_ room: String, started: Bool) {
        for observer in self.roomObservers.withLock({ $0 }) { observer(room, started) }
    }

    public var roomNames: [String] { self.rooms.withLock { Array($0.keys) }.sorted() }

    /// Whether the server is draining (`startDraining`): the faces refuse new rooms and
    /// participants, and live calls go on until they end.
    public var isDraining: Bool { self.draining.load(ordering: .relaxed) }

    /// Stops taking new rooms and participants, for a graceful drain (SIGTERM with a drain
    /// timeout): a load balancer sees `/health` say so and sends new calls elsewhere.
    public func startDraining() {
        self.draining.store(true, ordering: .relaxed)
    }

    /// Takes new rooms and participants again (an operator's drain called off).
    public func stopDraining() {
        self.draining.store(false, ordering: .relaxed)
    }

    /// Creates a room on the least loaded worker. The room's ICE settings and its
    /// publishers' limit are the server's.
    public func createRoom(_ name: String, configuration: RoomConfiguration) async throws(SFUError) {
        var withServerSettings = configuration
        withServerSettings.ice = self.ice
        withServerSettings.maximumPublisherBitrate = self.maximumPublisherBitrate
        let configuration = withServerSettings
        let worker = self.rooms.withLock { rooms in
            let load = Dictionary(grouping: rooms.values, by: { ObjectIdentifier($0.worker) }).mapValues(\.count)
            return self.workers.min { load[ObjectIdentifier($0), default: 0] < load[ObjectIdentifier($1), default: 0] }!
        }
        let certificate = self.certificate
        let created = await Self.run(on: worker) { () -> Entry in
            Entry(
                worker: worker,
                room: Room(name: name, worker: worker, certificate: certificate, configuration: configuration)
            )
        }
        let inserted = self.rooms.withLock { rooms in
            guard rooms[name] == nil else { return false }
            rooms[name] = created
            return true
        }
        guard inserted else {
            await Self.run(on: worker) { created.room.close() }
            throw .roomExists(name)
        }
        await Self.run(on: worker) { [weak self] in
            created.room.onEvent = { event in self?.notify(name, event) }
            self?.notifyRoom(name, started: true)
        }
    }

    /// Runs `body` with the room on its worker and returns its result.
    public func withRoom<T: Sendable>(
        _ name: String,
        _ body: @escaping @Sendable (Room) throws(SFUError) -> T
    ) async throws(SFUError) -> T {
        guard let entry = self.rooms.withLock({ $0[name] }) else { throw .unknownRoom(name) }
        return try await Self.run(on: entry.worker) { () -> Result<T, SFUError> in
            guard !entry.room.isClosed else { return .failure(.unknownRoom(name)) }
            return Result { () throws(SFUError) -> T in try body(entry.room) }
        }.get()
    }

    /// Runs `body` with the room named `name` on its worker, creating the room with
    /// `configuration` first when it does not exist (and `configuration` is given). A
    /// room closed by `leaveRoom` meanwhile is created anew.
    public func joinRoom<T: Sendable>(
        _ name: String,
        creatingWith configuration: RoomConfiguration?,
        _ body: @escaping @Sendable (Room) throws(SFUError) -> T
    ) async throws(SFUError) -> T {
        for _ in 0..<4 {
            if let entry = self.rooms.withLock({ $0[name] }) {
                let result = await Self.run(on: entry.worker) { () -> Result<T, SFUError>? in
                    guard !entry.room.isClosed else { return nil }
                    return Result { () throws(SFUError) -> T in try body(entry.room) }
                }
                if let result { return try result.get() }
            } else if let configuration {
                do {
                    try await self.createRoom(name, configuration: configuration)
                } catch .roomExists {
                    continue
                }
            } else {
                throw .unknownRoom(name)
            }
        }
        throw .unknownRoom(name)
    }

    /// Removes a participant from a room; a room that `closesWhenEmpty` closes when it
    /// was the last one (on the room's worker, so that no join slips in between).
    public func leaveRoom(_ name: String, participantID: String) async {
        guard let entry = self.rooms.withLock({ $0[name] }) else { return }
        let closed = await Self.run(on: entry.worker) { [weak self] () -> MediaStatistics? in
            entry.room.leave(participantID: participantID)
            guard entry.room.configuration.closesWhenEmpty, entry.room.participants.isEmpty, !entry.room.isClosed else {
                return nil
            }
            self?.rooms.withLock { rooms in
                if rooms[name]?.room === entry.room { rooms[name] = nil }
            }
            entry.room.close()
            self?.notifyRoom(name, started: false)
            return entry.room.statistics
        }
        if let closed { self.retire(closed) }
    }

    /// Keeps a closed room's traffic in the server's totals.
    private func retire(_ statistics: MediaStatistics) {
        self.destroyed.withLock { $0.add(statistics.counters) }
    }

    /// Closes a room: every participant leaves and its transports close.
    public func destroyRoom(_ name: String) async throws(SFUError) {
        guard let entry = self.rooms.withLock({ $0.removeValue(forKey: name) }) else { throw .unknownRoom(name) }
        let last = await Self.run(on: entry.worker) { [weak self] () -> MediaStatistics in
            entry.room.close()
            self?.notifyRoom(name, started: false)
            return entry.room.statistics
        }
        self.retire(last)
    }

    /// Every room's counts added up, with what destroyed rooms left behind.
    public func statistics() async -> MediaStatistics {
        let entries = self.rooms.withLock { Array($0.values) }
        var total = self.destroyed.withLock { $0 }
        for entry in entries {
            total.add(
                await Self.run(on: entry.worker) { entry.room.isClosed ? MediaStatistics() : entry.room.statistics }
            )
        }
        total.recordingPacketsDropped = UInt64(self.recorder.droppedPackets)
        total.recordingsFailed = UInt64(self.recorder.failedRecordings)
        return total
    }

    /// Closes every room and stops the workers.
    public func shutdown() async {
        for name in self.roomNames { try? await self.destroyRoom(name) }
        // Recordings finish before the workers stop: their last events go out on them.
        await self.recorder.shutdown()
        for worker in self.workers { _ = await Self.run(on: worker) { true } }
        for worker in self.workers { worker.shutdown() }
    }

    static func run<T: Sendable>(on worker: MediaWorker, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            worker.execute { continuation.resume(returning: body()) }
        }
    }
}

extension MediaServer {
    /// What an operator sees of every room: participants, their transports' states, their
    /// tracks and subscriptions with packet counts (`GET /admin/rooms`).
    public func describeRooms() async -> [RoomDescription] {
        let entries = self.rooms.withLock { Array($0.values) }
        var rooms: [RoomDescription] = []
        for entry in entries {
            if let description = await Self.run(
                on: entry.worker,
                { entry.room.isClosed ? nil : entry.room.description }
            ) {
                rooms.append(description)
            }
        }
        return rooms.sorted { $0.name < $1.name }
    }
}

public struct RoomDescription: Sendable, Codable, Equatable {
    public struct ParticipantDescription: Sendable, Codable, Equatable {
        public var id: String
        public var displayName: String?
        public var publishState: String?
        public var subscribeState: String?
        /// The selected candidate pairs, `local -> remote`.
        public var publishPair: String?
        public var subscribePair: String?
        /// What the subscriber's link carries, from its transport-wide feedback.
        public var subscribeEstimate: BandwidthEstimate?
        public var producers: [ProducerDescription]
        public var consumers: [ConsumerDescription]
    }

    public struct ProducerDescription: Sendable, Codable, Equatable {
        public var track: TrackInfo
        public var ssrc: UInt32?
        public var packets: UInt64
        public var bytes: UInt64
        public var keyFrameRequests: UInt64
        public var consumers: Int
        /// Its streams, lowest first: one, or one per simulcast encoding.
        public var streams: [StreamDescription]
    }

    public struct StreamDescription: Sendable, Codable, Equatable {
        public var spatialLayer: Int
        public var rid: String?
        public var ssrc: UInt32?
        public var packets: UInt64
        public var bitsPerSecond: Int
        public var isActive: Bool
        /// The picture size its last key frame stated (VP8, VP9).
        public var frameSize: FrameSize?
    }

    public struct ConsumerDescription: Sendable, Codable, Equatable {
        public var id: String
        public var mid: String
        /// The track it sends now (`switch` can change it).
        public var track: String
        public var packets: UInt64
        public var retransmissions: UInt64
        /// Of a simulcast track: the spatial layer it forwards, the one it moves to at
        /// the next key frame, the highest the subscriber wants, the highest its link has
        /// room for, and how often it moved.
        public var currentSpatialLayer: Int?
        public var targetSpatialLayer: Int?
        public var preferredSpatialLayer: Int?
        /// The size the subscriber shows the track at, when it said.
        public var preferredSize: FrameSize?
        public var bandwidthLayer: Int?
        public var layerSwitches: UInt64
        /// The highest temporal layer it forwards (`nil`: every one), the highest the
        /// subscriber wants, and the packets of higher layers it left out.
        public var currentTemporalLayer: Int?
        public var preferredTemporalLayer: Int?
        public var filteredPackets: UInt64
        /// The highest temporal layer of the lowest layer its link has room for, when not
        /// all; and whether it has room for nothing (the consumer forwards nothing).
        public var bandwidthTemporalLayer: Int?
        public var isSuspended: Bool
        /// Why it forwards less than the publisher sends: `paused`, `bandwidth`,
        /// `preference`, or `nil` when it forwards the best there is.
        public var layerLimit: String?
    }

    public var name: String
    public var participants: [ParticipantDescription]
}

extension Room {
    var description: RoomDescription {
        RoomDescription(
            name: self.name,
            participants: self.participants.values.sorted { $0.id < $1.id }.map { participant in
                RoomDescription.ParticipantDescription(
                    id: participant.id,
                    displayName: participant.displayName,
                    publishState: participant.publishTransport.map { "\($0.state)" },
                    subscribeState: participant.subscribeTransport.map { "\($0.state)" },
                    publishPair: participant.publishTransport?.ice.selectedPair.map { "\($0.local) -> \($0.remote)" },
                    subscribePair: participant.subscribeTransport?.ice.selectedPair.map {
                        "\($0.local) -> \($0.remote)"
                    },
                    subscribeEstimate: participant.subscribeTransport?.media.bandwidthEstimate,
                    producers: participant.producers.map { producer in
                        RoomDescription.ProducerDescription(
                            track: producer.info,
                            ssrc: producer.streams.first?.ssrc,
                            packets: producer.packets,
                            bytes: producer.bytes,
                            keyFrameRequests: producer.keyFrameRequests,
                            consumers: producer.consumerCount,
                            streams: producer.streams.map { stream in
                                RoomDescription.StreamDescription(
                                    spatialLayer: stream.spatialLayer,
                                    rid: stream.rid,
                                    ssrc: stream.ssrc,
                                    packets: stream.packets,
                                    bitsPerSecond: stream.bitrate.bitsPerSecond,
                                    isActive: stream.isActive,
                                    frameSize: stream.frameSize
                                )
                            }
                        )
                    },
                    consumers: participant.consumers.map { consumer in
                        RoomDescription.ConsumerDescription(
                            id: consumer.id,
                            mid: consumer.mid,
                            track: consumer.producer.id,
                            packets: consumer.packets,
                            retransmissions: consumer.retransmissions,
                            currentSpatialLayer: consumer.producer.hasSpatialLayers
                                ? consumer.currentSpatialLayer : nil,
                            targetSpatialLayer: consumer.targetSpatialLayer,
                            preferredSpatialLayer: consumer.preferredSpatialLayer,
                            preferredSize: consumer.preferredSize,
                            bandwidthLayer: consumer.bandwidthLayer,
                            layerSwitches: consumer.layerSwitches,
                            currentTemporalLayer: consumer.currentTemporalLayer,
                            preferredTemporalLayer: consumer.preferredTemporalLayer,
                            filteredPackets: consumer.filteredPackets,
                            bandwidthTemporalLayer: consumer.bandwidthTemporalLayer,
                            isSuspended: consumer.isSuspended,
                            layerLimit: consumer.layerLimit
                        )
                    }
                )
            }
        )
    }
}
