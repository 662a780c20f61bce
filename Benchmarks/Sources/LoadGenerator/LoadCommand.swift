import ArgumentParser
import Foundation
import Glibc

/// `sfu-load`: drives a VideoRoom server (SwiftSFU's Janus face or native protocol, or
/// Janus) with real WebRTC peers and measures what it forwards. See Benchmarks/README.md.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfu-load",
        abstract: "Opens rooms of publishers and subscribers against a Janus-API server and measures forwarding."
    )

    @Option(help: "The server's Janus WebSocket URL.") var janus = "ws://127.0.0.1:8188/"
    @Option(help: "Drive SwiftSFU's native protocol at this URL (ws://HOST:PORT/ws) instead of the Janus API.")
    var native: String?
    @Option(help: "The server's process id, to read its CPU time and memory from /proc.") var serverPid: Int?
    @Option(
        help: """
            The core the server runs on alone: its CPU is then that core's busy time (/proc/stat), the kernel's \
            receive work for it included wherever it ran, rather than its process's threads' time.
            """
    ) var serverCore: Int?
    @Option(help: "Rooms.") var rooms = 1
    @Option(help: "Publishers in each room.") var publishers = 1
    @Option(help: "Subscriber peer connections on each publisher's feed.") var subscribers = 1
    @Flag(
        help: """
            One subscriber connection per room member, receiving every other member's feed (a multistream \
            subscriber), instead of --subscribers connections per feed.
            """
    ) var perMember = false
    @Option(help: "Video bitrate of each publisher, bit/s (of its highest encoding, with simulcast).")
    var videoBitrate = 1_000_000
    @Option(
        help: """
            Video encodings per publisher: 1, or 2 or 3 for simulcast, each a quarter of the bitrate of the one \
            above it. The subscribers of a feed ask for the highest, the next and so on in turn.
            """
    ) var simulcastLayers = 1
    @Option(
        help: """
            Record every publisher into this folder: Janus rooms are created with record and rec_dir; through \
            the native protocol, each room's first publisher asks for it (the server's --recordings-root decides \
            where).
            """
    ) var recordTo: String?
    @Flag(
        help: """
            Send real VP8 and Opus (libvpx and libopus through ffmpeg, encoded at start) instead of synthetic \
            payloads: a browser can watch the room, and its recordings decode.
            """
    ) var realMedia = false
    @Flag(
        help: """
            Publishers connect and send no media: every peer only keeps its connection (keepalives, a receiver \
            report a second); the report's server_cpu_microseconds_per_peer_second is what an idle peer costs.
            """
    ) var idle = false
    @Option(help: "Seconds of media before the measured window.") var warmUp = 3.0
    @Option(help: "Seconds in the measured window.") var duration = 10.0
    @Option(help: "Seconds a peer may take to connect (ICE and DTLS).") var setupTimeout = 30
    @Option(help: "Subscribers set up at once.") var parallelSetups = 16
    @Option(help: "The address the generator's peers gather candidates on.") var localAddress = "127.0.0.1"
    @Option(help: "The first room number to create.") var firstRoom = 424_242
    @Flag(
        inversion: .prefixedNo,
        help: "Publishers stamp packets with a transport-wide sequence number (transport-cc), as browsers do."
    ) var transportCC = true

    mutating func run() async throws {
        // Each peer connection is a socket; a step of 1,000 subscribers needs more
        // descriptors than the usual soft limit.
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        guard (1...3).contains(self.simulcastLayers) else {
            throw ValidationError("--simulcast-layers must be 1, 2 or 3")
        }
        guard !self.perMember || (self.publishers > 1 && self.simulcastLayers == 1) else {
            throw ValidationError("--per-member needs rooms of 2 publishers or more, without simulcast")
        }
        var settings = SyntheticMedia.Settings()
        settings.simulcastLayers = self.simulcastLayers
        settings.videoBitrate = self.videoBitrate
        settings.transportWideSequenceID = self.transportCC ? 3 : nil
        settings.idle = self.idle
        if self.realMedia { settings.clips = try MediaClips.make(settings: settings) }
        let run = LoadRun(
            signaling: self.native.map { .native(url: $0) } ?? .janus(url: self.janus),
            shape: .init(
                rooms: self.rooms,
                publishers: self.publishers,
                subscribers: self.perMember ? self.publishers - 1 : self.subscribers,
                layers: self.simulcastLayers,
                perMember: self.perMember
            ),
            serverPID: self.serverPid.map(String.init),
            serverCore: self.serverCore,
            localAddress: self.localAddress,
            settings: settings,
            warmUp: .milliseconds(Int(self.warmUp * 1000)),
            duration: .milliseconds(Int(self.duration * 1000)),
            setupTimeout: .seconds(self.setupTimeout),
            parallelSetups: self.parallelSetups,
            firstRoom: self.firstRoom,
            recordTo: self.recordTo
        )
        let report = try await run.run()
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        if report.failure != nil { throw ExitCode(2) }
    }
}
