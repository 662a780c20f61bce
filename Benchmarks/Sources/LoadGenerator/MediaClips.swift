import Foundation

/// Real media for the publishers (`--real-media`): VP8 from libvpx and Opus from libopus,
/// encoded once through ffmpeg when the generator starts, then sent in a loop. A browser
/// watching a benchmark room sees the test picture, and recordings of it decode. Each
/// encoding is 3 s at 30 frames/s with one key frame, its first (the loop's start, and
/// where a key-frame request sends it back); simulcast encodings are 640x360, 320x180 and
/// 160x90 at the bitrates the synthetic media has, in three temporal layers (L1T3: 0, 2,
/// 1, 2) as Chromium sends them.
struct MediaClips: Sendable {
    /// Frames of each video encoding, lowest first.
    let video: [[[UInt8]]]
    /// Opus packets of 20 ms.
    let audio: [[UInt8]]

    static let frames = 90

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func make(settings: SyntheticMedia.Settings) throws -> MediaClips {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sfu-load-media-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let layers = settings.simulcastLayers
        var video: [[[UInt8]]] = []
        for layer in 0..<layers {
            let shift = layers - 1 - layer
            let kilobits = max(30, settings.bitrate(layer: layer) / 1_000)
            let path = folder.appendingPathComponent("video-\(layer).ivf").path
            var arguments = [
                "-v", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=\(640 >> shift)x\(360 >> shift):rate=\(settings.framesPerSecond)", "-frames:v",
                "\(Self.frames)", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "\(kilobits)k",
                "-g", "\(Self.frames)", "-keyint_min", "\(Self.frames)", "-auto-alt-ref", "0", "-lag-in-frames", "0",
            ]
            if layers > 1 {
                let targets = [kilobits * 4 / 10, kilobits * 6 / 10, kilobits].map(String.init).joined(separator: ",")
                arguments += [
                    "-ts-parameters",
                    "ts_number_layers=3:ts_target_bitrate=\(targets):ts_rate_decimator=4,2,1:ts_periodicity=4:"
                        + "ts_layer_id=0,2,1,2:ts_layering_mode=3",
                ]
            }
            try Self.ffmpeg(arguments + ["-f", "ivf", path])
            video.append(try Self.ivfFrames(Array(Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        let ogg = folder.appendingPathComponent("audio.ogg").path
        try Self.ffmpeg([
            "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-ac", "2",
            "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", ogg,
        ])
        // The first two packets are the Opus headers.
        let audio = Array(try Self.oggPackets(Array(Data(contentsOf: URL(fileURLWithPath: ogg)))).dropFirst(2))
        guard video.allSatisfy({ !$0.isEmpty }), !audio.isEmpty else {
            throw Failure(description: "ffmpeg made no media")
        }
        return MediaClips(video: video, audio: audio)
    }

    private static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "ffmpeg: \(String(decoding: said, as: UTF8.self))")
        }
    }

    /// The frames of an IVF file: a 32-byte header, then each frame's 4-byte size
    /// (little-endian), 8-byte time and bytes.
    static func ivfFrames(_ file: [UInt8]) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var offset = 32
        while offset + 12 <= file.count {
            let size =
                Int(file[offset]) | Int(file[offset + 1]) << 8 | Int(file[offset + 2]) << 16
                | Int(file[offset + 3]) << 24
            guard offset + 12 + size <= file.count else { throw Failure(description: "a cut IVF frame") }
            frames.append(Array(file[(offset + 12)..<(offset + 12 + size)]))
            offset += 12 + size
        }
        return frames
    }

    /// The packets of an Ogg stream (RFC 3533): each page's segments, laced.
    static func oggPackets(_ file: [UInt8]) throws -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var packet: [UInt8] = []
        var offset = 0
        while offset + 27 <= file.count, file[offset..<(offset + 4)].elementsEqual(Array("OggS".utf8)) {
            let segments = Int(file[offset + 26])
            var body = offset + 27 + segments
            guard body <= file.count else { throw Failure(description: "a cut Ogg page") }
            for index in 0..<segments {
                let length = Int(file[offset + 27 + index])
                guard body + length <= file.count else { throw Failure(description: "a cut Ogg page") }
                packet += file[body..<(body + length)]
                body += length
                if length < 255 {
                    packets.append(packet)
                    packet = []
                }
            }
            offset = body
        }
        return packets
    }
}
