import Foundation
import NIOCore
import RTP
import TestSupport
import Testing

@testable import Recording

/// A publisher's VP8 and Opus, real frames from libvpx and libopus (through ffmpeg),
/// packetized as a browser sends them, through a recording session into a WebM file that
/// ffmpeg reads without an error.
@Suite struct RecordingSessionTests {
    /// Real media: VP8 frames (a key frame each second) and Opus packets of 20 ms.
    struct Media {
        var video: [[UInt8]]
        var audio: [[UInt8]]
    }

    static let media: Media? = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recording-media-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ivf = folder.appendingPathComponent("video.ivf").path
        let ogg = folder.appendingPathComponent("audio.ogg").path
        do {
            _ = try ExternalProcess.run(
                "/usr/bin/ffmpeg",
                [
                    "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=4", "-c:v",
                    "libvpx", "-g", "30", "-b:v", "300k", ivf,
                ]
            )
            _ = try ExternalProcess.run(
                "/usr/bin/ffmpeg",
                [
                    "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
                    "-ac", "2", "-c:a", "libopus", "-frame_duration", "20", ogg,
                ]
            )
            return Media(
                video: try Self.ivfFrames(Array(Data(contentsOf: URL(fileURLWithPath: ivf)))),
                audio: try Self.oggPackets(Array(Data(contentsOf: URL(fileURLWithPath: ogg)))).dropFirst(2).map { $0 }
            )
        } catch {
            print("recording media: \(error)")
            return nil
        }
    }()

    /// The frames of an IVF file: a 32-byte header, then each frame's 4-byte size, 8-byte
    /// time and bytes.
    static func ivfFrames(_ file: [UInt8]) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var offset = 32
        while offset + 12 <= file.count {
            let size =
                Int(file[offset]) | Int(file[offset + 1]) << 8 | Int(file[offset + 2]) << 16
                | Int(file[offset + 3]) << 24
            guard offset + 12 + size <= file.count else { break }
            frames.append(Array(file[(offset + 12)..<(offset + 12 + size)]))
            offset += 12 + size
        }
        return frames
    }

    /// The packets of an Ogg file (RFC 3533): pages of segments, a packet ending at a
    /// segment shorter than 255 bytes.
    static func oggPackets(_ file: [UInt8]) throws -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var current: [UInt8] = []
        var offset = 0
        while offset + 27 <= file.count, file[offset..<(offset + 4)].elementsEqual(Array("OggS".utf8)) {
            let segments = Int(file[offset + 26])
            var body = offset + 27 + segments
            for index in 0..<segments {
                let length = Int(file[offset + 27 + index])
                current += file[body..<(body + length)]
                body += length
                if length < 255 {
                    packets.append(current)
                    current = []
                }
            }
            offset = body
        }
        return packets
    }

    /// RTP packets of one VP8 frame (RFC 7741: a one-byte descriptor, S on the first),
    /// at most 1,000 bytes of frame each, the marker on the last.
    static func vp8Packets(_ frame: [UInt8], sequenceNumber: inout UInt16, timestamp: UInt32) -> [RTPPacket] {
        stride(from: 0, to: frame.count, by: 1_000).map { start in
            let end = min(start + 1_000, frame.count)
            defer { sequenceNumber &+= 1 }
            return Self.packet(
                ssrc: 2,
                payloadType: 96,
                sequenceNumber: sequenceNumber,
                timestamp: timestamp,
                marker: end == frame.count,
                payload: [start == 0 ? 0x10 : 0x00] + frame[start..<end]
            )
        }
    }

    static func packet(
        ssrc: UInt32,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        marker: Bool,
        payload: [UInt8]
    ) -> RTPPacket {
        var buffer = ByteBuffer()
        RTPHeader(
            marker: marker,
            payloadType: payloadType,
            sequenceNumber: SequenceNumber(sequenceNumber),
            timestamp: RTPTimestamp(timestamp),
            ssrc: ssrc
        ).write(into: &buffer, payload: ByteBuffer(bytes: payload))
        return try! RTPPacket(validating: buffer)
    }

    /// What ffprobe says of a file's streams: codec, start time and duration.
    static func probe(_ path: String) throws -> [(codec: String, start: Double, duration: Double)] {
        let output = try ExternalProcess.run(
            "/usr/bin/ffprobe",
            ["-v", "error", "-show_entries", "stream=codec_name,start_time:format=duration", "-of", "json", path]
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let duration = Double((json["format"] as? [String: Any])?["duration"] as? String ?? "") ?? 0
        return (json["streams"] as? [[String: Any]] ?? []).map {
            ($0["codec_name"] as? String ?? "?", Double($0["start_time"] as? String ?? "") ?? -1, duration)
        }
    }

    /// ffmpeg's complaints when it decodes every frame of `path`; empty for a good file.
    static func decodingErrors(_ path: String) throws -> String {
        try ExternalProcess.run("/bin/sh", ["-c", "ffmpeg -v error -i '\(path)' -f null - 2>&1"])
    }

    /// Sends `seconds` of the media through `session`, audio and video interleaved as
    /// they would arrive, with sender reports that put the video `videoLead` seconds
    /// ahead of the audio on the sender's clock; leaves out the video packets `dropping`
    /// picks.
    static func play(
        _ media: Media,
        into session: RecordingSession,
        videoLead: Double = 0,
        dropping: (Int) -> Bool = { _ in false }
    ) {
        let start: UInt64 = 1_000_000_000_000
        var videoSequence: UInt16 = 65_000
        var audioSequence: UInt16 = 100
        var videoPacketIndex = 0
        // The sender's NTP clock: audio timestamp 0 at 3,900,000,000 s, video timestamp 0
        // `videoLead` earlier.
        let ntpBase = 3_900_000_000.0
        func ntp(_ seconds: Double) -> UInt64 {
            UInt64(seconds) << 32 | UInt64((seconds - seconds.rounded(.down)) * 4_294_967_296)
        }
        for millisecond in stride(from: 0, to: 4_000, by: 10) {
            let now = start + UInt64(millisecond) * 1_000_000
            if millisecond % 20 == 0, millisecond / 20 < media.audio.count {
                let index = millisecond / 20
                let packet = Self.packet(
                    ssrc: 1,
                    payloadType: 111,
                    sequenceNumber: audioSequence,
                    timestamp: UInt32(index * 960),
                    marker: false,
                    payload: media.audio[index]
                )
                audioSequence &+= 1
                session.receive(packet, track: 0, arrival: now)
            }
            if millisecond % 30 == 0, millisecond / 30 < media.video.count {
                let index = millisecond / 30
                for packet in Self.vp8Packets(
                    media.video[index],
                    sequenceNumber: &videoSequence,
                    timestamp: UInt32(truncatingIfNeeded: 4_000_000_000 &+ UInt64(index * 3_000))
                ) {
                    defer { videoPacketIndex += 1 }
                    if dropping(videoPacketIndex) { continue }
                    session.receive(packet, track: 1, arrival: now)
                }
            }
            if millisecond == 500 {
                session.receiveSenderReport(track: 0, ntp: ntp(ntpBase + 0.5), timestamp: 24_000)
                session.receiveSenderReport(
                    track: 1,
                    ntp: ntp(ntpBase - videoLead + 0.5),
                    timestamp: UInt32(truncatingIfNeeded: 4_000_000_000 &+ 45_000)
                )
            }
            session.tick(now: now)
        }
        session.finish()
    }

    static func session(_ name: String) -> (RecordingSession, String, KeyFrameRequests) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())").path
        let requests = KeyFrameRequests()
        let session = RecordingSession(
            basePath: base,
            tracks: [
                .init(codec: .opus, clockRate: 48_000, channels: 2), .init(codec: .vp8, clockRate: 90_000, channels: 1),
            ],
            requestKeyFrame: { requests.tracks.append($0) }
        )
        return (session, base + ".webm", requests)
    }

    final class KeyFrameRequests: @unchecked Sendable {
        var tracks: [Int] = []
    }

    @Test func vp8AndOpusMakeAWebMFileThatDecodesWithoutAnError() throws {
        let media = try #require(Self.media)
        let (session, path, _) = Self.session("recording-clean")
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.play(media, into: session)
        #expect(session.failure == nil)
        let streams = try Self.probe(path)
        #expect(streams.map(\.codec).sorted() == ["opus", "vp8"])
        #expect(abs((streams.first?.duration ?? 0) - 4) < 0.2, "\(streams)")
        #expect(try Self.decodingErrors(path) == "")
        // Every frame played (4 s: 120 video frames, 200 audio packets) is written.
        #expect(session.framesWritten == min(media.video.count, 134) + min(media.audio.count, 200))
    }

    /// The sender reports say the video was captured 200 ms before the audio that has
    /// the same arrival: the file starts the audio 200 ms after the video.
    @Test func audioAndVideoArePlacedAsTheSenderReportsSay() throws {
        let media = try #require(Self.media)
        let (session, path, _) = Self.session("recording-sync")
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.play(media, into: session, videoLead: 0.2)
        let streams = try Self.probe(path)
        let audio = try #require(streams.first { $0.codec == "opus" })
        let video = try #require(streams.first { $0.codec == "vp8" })
        #expect(abs(audio.start - video.start - 0.2) < 0.03, "\(streams)")
    }

    /// A video packet lost for good: the frames after it wait for the next key frame
    /// (which the session asks for), and the file still decodes without an error.
    @Test func aLostVideoPacketSkipsToTheNextKeyFrame() throws {
        let media = try #require(Self.media)
        let (session, path, requests) = Self.session("recording-loss")
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.play(media, into: session, dropping: { $0 == 45 })
        #expect(try Self.decodingErrors(path) == "")
        #expect(session.framesWritten < media.video.count + media.audio.count)
        #expect(requests.tracks.contains(1))
    }
}
