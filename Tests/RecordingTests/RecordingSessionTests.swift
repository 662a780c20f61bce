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
    /// Real media: video frames (a key frame each second) and Opus packets of 20 ms.
    struct Media {
        var video: [[UInt8]]
        var audio: [[UInt8]]
    }

    static let folder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recording-media-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// 4 s of Opus from libopus.
    static let audio: [[UInt8]]? = {
        let ogg = Self.folder.appendingPathComponent("audio.ogg").path
        do {
            _ = try ExternalProcess.run(
                "/usr/bin/ffmpeg",
                [
                    "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
                    "-ac", "2", "-c:a", "libopus", "-frame_duration", "20", ogg,
                ]
            )
            return Array(try Self.oggPackets(Array(Data(contentsOf: URL(fileURLWithPath: ogg)))).dropFirst(2))
        } catch {
            print("recording media: \(error)")
            return nil
        }
    }()

    /// 4 s of 320x240 video at 30 frames/s in `codec` (VP8 and VP9 from libvpx, H.264
    /// from libx264 without B-frames, as browsers send it), a key frame each second.
    /// Each call encodes into files of its own: tests run in parallel, and two that shared
    /// a file read each other's half-written frames (CI once failed so, a VP8 file whose
    /// first frame had no size).
    static func video(_ codec: RecordedCodec, size: String = "320x240") -> [[UInt8]]? {
        let call = UUID().uuidString
        let source = [
            "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=30:duration=4", "-g", "30",
        ]
        do {
            switch codec {
            case .vp8, .vp9:
                let ivf = Self.folder.appendingPathComponent("video-\(codec)-\(size)-\(call).ivf").path
                let encoder =
                    codec == .vp8
                    ? ["-c:v", "libvpx", "-b:v", "300k"]
                    : [
                        "-c:v", "libvpx-vp9", "-b:v", "300k", "-deadline", "realtime", "-auto-alt-ref", "0",
                        "-lag-in-frames", "0",
                    ]
                _ = try ExternalProcess.run("/usr/bin/ffmpeg", source + encoder + [ivf])
                return try Self.ivfFrames(Array(Data(contentsOf: URL(fileURLWithPath: ivf))))
            case .h264:
                let raw = Self.folder.appendingPathComponent("video-\(call).h264").path
                _ = try ExternalProcess.run(
                    "/usr/bin/ffmpeg",
                    source + [
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-bf", "0", "-x264-params",
                        "aud=1", "-b:v",
                        "300k", "-f", "h264", raw,
                    ]
                )
                return Self.accessUnits(Array(try Data(contentsOf: URL(fileURLWithPath: raw))))
            case .av1:
                // libaom in real-time mode, as a browser encodes: IVF frames are temporal
                // units in the low-overhead format.
                let ivf = Self.folder.appendingPathComponent("video-av1-\(call).ivf").path
                let encoder = [
                    "-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-lag-in-frames", "0", "-b:v",
                    "300k",
                ]
                _ = try ExternalProcess.run("/usr/bin/ffmpeg", source + encoder + [ivf])
                return try Self.ivfFrames(Array(Data(contentsOf: URL(fileURLWithPath: ivf))))
            case .opus:
                return nil
            }
        } catch {
            print("recording media: \(error)")
            return nil
        }
    }

    static func media(_ codec: RecordedCodec) -> Media? {
        guard let audio = Self.audio, let video = Self.video(codec) else { return nil }
        return Media(video: video, audio: audio)
    }

    /// The NAL units of an Annex B stream, without their start codes.
    static func nalUnits(_ stream: [UInt8]) -> [[UInt8]] {
        AnnexB.units(in: stream).map { Array(stream[$0]) }
    }

    /// An H.264 stream's access units (each begins with an access unit delimiter), their
    /// NAL units after start codes, delimiters left out.
    static func accessUnits(_ stream: [UInt8]) -> [[UInt8]] {
        var units: [[UInt8]] = []
        for nal in Self.nalUnits(stream) {
            if nal.first.map({ $0 & 0x1F }) == 9 {
                units.append([])
            } else if !units.isEmpty {
                units[units.count - 1] += [0, 0, 0, 1] + nal
            }
        }
        return units.filter { !$0.isEmpty }
    }

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
        let payloads = Self.fragments(of: frame).map { [$0.lowerBound == 0 ? 0x10 : 0x00] + frame[$0] }
        return Self.frame(payloads, payloadType: 96, sequenceNumber: &sequenceNumber, timestamp: timestamp)
    }

    /// One frame's packets of video: numbered from `sequenceNumber` on, the marker on the
    /// last.
    static func frame(
        _ payloads: [[UInt8]],
        payloadType: UInt8,
        sequenceNumber: inout UInt16,
        timestamp: UInt32
    ) -> [RTPPacket] {
        payloads.enumerated().map { index, payload in
            defer { sequenceNumber &+= 1 }
            return Self.packet(
                ssrc: 2,
                payloadType: payloadType,
                sequenceNumber: sequenceNumber,
                timestamp: timestamp,
                marker: index == payloads.count - 1,
                payload: payload
            )
        }
    }

    /// RTP packets of one VP9 frame (RFC 9628: I with a 15-bit picture id, P unless a key
    /// frame, B on the first, E on the last).
    static func vp9Packets(
        _ frame: [UInt8],
        picture: Int,
        sequenceNumber: inout UInt16,
        timestamp: UInt32
    ) -> [RTPPacket] {
        // The uncompressed header (profile 0): frame_type is the bit after
        // show_existing_frame, 0 for a key frame.
        let isKey = frame[0] & 0x04 == 0
        let payloads = Self.fragments(of: frame).map { range -> [UInt8] in
            let flags: UInt8 =
                0x80 | (isKey ? 0 : 0x40) | (range.lowerBound == 0 ? 0x08 : 0)
                | (range.upperBound == frame.count ? 0x04 : 0)
            return [flags, 0x80 | UInt8(picture >> 8 & 0x7F), UInt8(picture & 0xFF)] + frame[range]
        }
        return Self.frame(payloads, payloadType: 98, sequenceNumber: &sequenceNumber, timestamp: timestamp)
    }

    /// RTP packets of one H.264 access unit (RFC 6184, packetization mode 1, as browsers
    /// send it): SPS and PPS together in a STAP-A, small NAL units alone, large ones in
    /// FU-A fragments.
    static func h264Packets(_ unit: [UInt8], sequenceNumber: inout UInt16, timestamp: UInt32) -> [RTPPacket] {
        let nals = Self.nalUnits(unit)
        var payloads: [[UInt8]] = []
        let parameterSets = nals.filter { [7, 8].contains($0[0] & 0x1F) }
        if !parameterSets.isEmpty {
            payloads.append(
                [0x18] + parameterSets.flatMap { [UInt8($0.count >> 8), UInt8($0.count & 0xFF)] + $0 }
            )
        }
        for nal in nals where ![7, 8].contains(nal[0] & 0x1F) {
            if nal.count <= 1_000 {
                payloads.append(nal)
                continue
            }
            let body = Array(nal.dropFirst())
            for range in Self.fragments(of: body) {
                let fragment =
                    (range.lowerBound == 0 ? 0x80 : 0) | (range.upperBound == body.count ? 0x40 : 0) | nal[0] & 0x1F
                payloads.append([nal[0] & 0xE0 | 28, fragment] + body[range])
            }
        }
        return Self.frame(payloads, payloadType: 102, sequenceNumber: &sequenceNumber, timestamp: timestamp)
    }

    /// RTP packets of one AV1 temporal unit (the AV1 RTP specification, as libwebrtc
    /// sends it): OBUs without their size fields and no temporal delimiter; small OBUs
    /// together in one packet, each element with its length (W = 0); a large OBU alone,
    /// fragmented (W = 1, Z on the fragments after the first, Y on those before the last);
    /// N on the first packet of a unit with a sequence header.
    static func av1Packets(_ unit: [UInt8], sequenceNumber: inout UInt16, timestamp: UInt32) -> [RTPPacket] {
        var obus: [[UInt8]] = []
        for range in AV1Bitstream.obus(in: unit) {
            let obu = Array(unit[range])
            guard obu[0] >> 3 & 0x0F != AV1Bitstream.OBUType.temporalDelimiter.rawValue else { continue }
            let headerSize = obu[0] & 0x04 != 0 ? 2 : 1
            guard let (_, size) = AV1Bitstream.leb128(obu, at: headerSize) else { continue }
            obus.append([obu[0] & ~0x02] + obu[1..<headerSize] + obu[(headerSize + size)...])
        }
        var payloads: [[UInt8]] = []
        var small: [[UInt8]] = []
        func flushSmall() {
            guard !small.isEmpty else { return }
            var payload: [UInt8] = [0x00]
            for obu in small {
                AV1Bitstream.appendLEB128(obu.count, to: &payload)
                payload += obu
            }
            payloads.append(payload)
            small.removeAll()
        }
        for obu in obus {
            if obu.count <= 300 {
                small.append(obu)
                continue
            }
            flushSmall()
            let pieces = Self.fragments(of: obu)
            for (index, range) in pieces.enumerated() {
                let header: UInt8 = (index > 0 ? 0x80 : 0) | (index < pieces.count - 1 ? 0x40 : 0) | 0x10
                payloads.append([header] + obu[range])
            }
        }
        flushSmall()
        let sequenceHeader = AV1Bitstream.OBUType.sequenceHeader.rawValue
        if obus.contains(where: { $0[0] >> 3 & 0x0F == sequenceHeader }), !payloads.isEmpty {
            payloads[0][0] |= 0x08
        }
        return Self.frame(payloads, payloadType: 45, sequenceNumber: &sequenceNumber, timestamp: timestamp)
    }

    static func fragments(of bytes: [UInt8]) -> [Range<Int>] {
        stride(from: 0, to: bytes.count, by: 1_000).map { $0..<min($0 + 1_000, bytes.count) }
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
        codec: RecordedCodec = .vp8,
        videoLead: Double = 0,
        dropping: (Int) -> Bool = { _ in false },
        otherStream: (video: [[UInt8]], from: Int)? = nil
    ) {
        let start: UInt64 = 1_000_000_000_000
        var videoSequence: UInt16 = 65_000
        // A simulcast track's other stream (VP8): SSRC 3, its own sequence numbers and
        // timestamps (1,000,000 ahead), sent instead from frame `from` on.
        var otherSequence: UInt16 = 7
        let otherOffset: UInt32 = 1_000_000
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
            if let otherStream, millisecond % 30 == 0, millisecond / 30 >= otherStream.from,
                millisecond / 30 < otherStream.video.count
            {
                let index = millisecond / 30
                let timestamp = UInt32(truncatingIfNeeded: 4_000_000_000 &+ UInt64(index * 3_000)) &+ otherOffset
                for packet in Self.vp8Packets(
                    otherStream.video[index],
                    sequenceNumber: &otherSequence,
                    timestamp: timestamp
                ) {
                    let copy = Self.packet(
                        ssrc: 3,
                        payloadType: 96,
                        sequenceNumber: packet.sequenceNumber.rawValue,
                        timestamp: timestamp,
                        marker: packet.marker,
                        payload: packet.withPayloadBytes { Array($0) }
                    )
                    session.receive(copy, track: 1, arrival: now)
                }
            } else if millisecond % 30 == 0, millisecond / 30 < media.video.count {
                let index = millisecond / 30
                let timestamp = UInt32(truncatingIfNeeded: 4_000_000_000 &+ UInt64(index * 3_000))
                let packets =
                    switch codec {
                    case .vp9:
                        Self.vp9Packets(
                            media.video[index],
                            picture: index,
                            sequenceNumber: &videoSequence,
                            timestamp: timestamp
                        )
                    case .h264:
                        Self.h264Packets(media.video[index], sequenceNumber: &videoSequence, timestamp: timestamp)
                    case .av1:
                        Self.av1Packets(media.video[index], sequenceNumber: &videoSequence, timestamp: timestamp)
                    default: Self.vp8Packets(media.video[index], sequenceNumber: &videoSequence, timestamp: timestamp)
                    }
                for packet in packets {
                    defer { videoPacketIndex += 1 }
                    if dropping(videoPacketIndex) { continue }
                    session.receive(packet, track: 1, arrival: now)
                }
            }
            if millisecond == 500 {
                session.receiveSenderReport(track: 0, ssrc: 1, ntp: ntp(ntpBase + 0.5), timestamp: 24_000)
                session.receiveSenderReport(
                    track: 1,
                    ssrc: 2,
                    ntp: ntp(ntpBase - videoLead + 0.5),
                    timestamp: UInt32(truncatingIfNeeded: 4_000_000_000 &+ 45_000)
                )
                session.receiveSenderReport(
                    track: 1,
                    ssrc: 3,
                    ntp: ntp(ntpBase - videoLead + 0.5),
                    timestamp: UInt32(truncatingIfNeeded: 4_000_000_000 &+ 45_000) &+ otherOffset
                )
            }
            session.tick(now: now)
        }
        session.finish()
    }

    static func session(
        _ name: String,
        video: RecordedCodec? = .vp8
    ) -> (RecordingSession, String, KeyFrameRequests) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())").path
        let requests = KeyFrameRequests()
        let tracks: [RecordingSession.Track] =
            [.init(codec: .opus, clockRate: 48_000, channels: 2)]
            + (video.map { [.init(codec: $0, clockRate: 90_000, channels: 1)] } ?? [])
        let session = RecordingSession(basePath: base, tracks: tracks, requestKeyFrame: { requests.tracks.append($0) })
        let path = Recorder.path(
            basePath: base,
            tracks: tracks.map { .init(codec: $0.codec, clockRate: $0.clockRate, channels: $0.channels) }
        )
        return (session, path, requests)
    }

    final class KeyFrameRequests: @unchecked Sendable {
        var tracks: [Int] = []
    }

    @Test func vp8AndOpusMakeAWebMFileThatDecodesWithoutAnError() throws {
        let media = try #require(Self.media(.vp8))
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
        let media = try #require(Self.media(.vp8))
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
        let media = try #require(Self.media(.vp8))
        let (session, path, requests) = Self.session("recording-loss")
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.play(media, into: session, dropping: { $0 == 45 })
        #expect(try Self.decodingErrors(path) == "")
        #expect(session.framesWritten < media.video.count + media.audio.count)
        #expect(requests.tracks.contains(1))
    }

    /// VP9 and AV1 (its sequence header as the codec's private data) in WebM, H.264 in
    /// Matroska (its SPS and PPS from the key frame it starts on), each with Opus: every
    /// one decodes without an error.
    @Test(arguments: [RecordedCodec.vp9, .h264, .av1])
    func otherVideoCodecsMakeFilesThatDecode(codec: RecordedCodec) throws {
        let media = try #require(Self.media(codec))
        let (session, path, _) = Self.session("recording-\(codec)", video: codec)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(path.hasSuffix(codec == .h264 ? ".mkv" : ".webm"))
        Self.play(media, into: session, codec: codec)
        #expect(session.failure == nil)
        let streams = try Self.probe(path)
        #expect(streams.map(\.codec).sorted() == [codec.rawValue, "opus"].sorted())
        #expect(abs((streams.first?.duration ?? 0) - 4) < 0.2, "\(streams)")
        #expect(try Self.decodingErrors(path) == "")
        #expect(session.framesWritten == min(media.video.count, 134) + min(media.audio.count, 200))
        // The picture size the file states comes from the key frame.
        #expect(FrameAssembler.keyFrameSize(codec, media.video[0]).map { [$0.width, $0.height] } == [320, 240])
    }

    /// A simulcast track whose recorded stream stops at a key frame 2 s in (its highest,
    /// 320x240) and goes on in another (160x120, other SSRC, sequence numbers and
    /// timestamps): the file goes on without a gap and decodes without an error.
    @Test func aSimulcastTrackGoesOnInItsOtherStreamWithoutAGap() throws {
        let media = try #require(Self.media(.vp8))
        let low = try #require(Self.video(.vp8, size: "160x120"))
        let (session, path, _) = Self.session("recording-simulcast")
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.play(media, into: session, otherStream: (low, 60))
        #expect(session.failure == nil)
        #expect(session.streamChanges(of: 1) == 1)
        let streams = try Self.probe(path)
        #expect(streams.map(\.codec).sorted() == ["opus", "vp8"])
        #expect(abs((streams.first?.duration ?? 0) - 4) < 0.2, "\(streams)")
        #expect(try Self.decodingErrors(path) == "")
        // Every frame of either stream is written: none lost at the change.
        #expect(session.framesWritten == min(media.video.count, 120) + min(media.audio.count, 200))
        #expect(session.framesLeftOut == 0)
    }

    /// A publisher with audio alone: an Ogg file of Opus.
    @Test func audioAloneMakesAnOggFile() throws {
        let media = try #require(Self.media(.vp8))
        let (session, path, _) = Self.session("recording-audio", video: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(path.hasSuffix(".ogg"))
        Self.play(Media(video: [], audio: media.audio), into: session)
        let streams = try Self.probe(path)
        #expect(streams.map(\.codec) == ["opus"])
        #expect(abs((streams.first?.duration ?? 0) - 4) < 0.2, "\(streams)")
        #expect(try Self.decodingErrors(path) == "")
    }
}
