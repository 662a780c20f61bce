import RTP

/// One publisher's recording: the packets of its tracks in, one file out, audio and video
/// placed on the sender's clock. Frames are held until every track's sender report has
/// come (or 3 s have passed: then the tracks are placed by the arrival of their first
/// packets) and the video has a key frame to start on (or 6 s have passed); then the file
/// is opened and written as frames complete.
///
/// Lives on the recording thread.
final class RecordingSession {
    struct Track: Sendable {
        var codec: RecordedCodec
        var clockRate: Int
        var channels: Int
    }

    private final class TrackState {
        let track: Track
        var reorder = ReorderBuffer()
        var assembler: FrameAssembler
        var clock: MediaClock
        var held: [(frame: RecordedFrame, timestamp: Int64)] = []
        var stream: Int?
        var lastMilliseconds: Int64 = -1
        var lastKeyFrameRequest: UInt64 = 0

        init(_ track: Track) {
            self.track = track
            self.assembler = FrameAssembler(codec: track.codec)
            self.clock = MediaClock(clockRate: track.clockRate)
        }
    }

    static let senderReportWait: UInt64 = 3_000_000_000
    static let keyFrameWait: UInt64 = 6_000_000_000
    static let keyFrameRequestInterval: UInt64 = 1_000_000_000

    /// The file's path without its extension, which the container decides.
    let basePath: String
    private let tracks: [TrackState]
    private let requestKeyFrame: (Int) -> Void
    private var firstArrival: UInt64?
    private var writer: MediaFileWriter?
    private var usesSenderClock = false
    private var origin = 0.0
    private(set) var failure: RecordingError?
    /// Frames written, and left out (out of order, or before the start).
    private(set) var framesWritten = 0
    private(set) var framesLeftOut = 0
    private var lastMilliseconds: Int64 = 0

    init(basePath: String, tracks: [Track], requestKeyFrame: @escaping (Int) -> Void) {
        self.basePath = basePath
        self.tracks = tracks.map(TrackState.init)
        self.requestKeyFrame = requestKeyFrame
    }

    var path: String? { self.writer?.path }

    var container: MediaFileWriter.Container { Self.container(of: self.tracks.map(\.track.codec)) }

    static func container(of codecs: [RecordedCodec]) -> MediaFileWriter.Container {
        let video = codecs.filter(\.isVideo)
        if video.contains(.h264) { return .matroska }
        return video.isEmpty ? .ogg : .webm
    }

    func receive(_ packet: RTPPacket, track index: Int, arrival: UInt64) {
        guard self.tracks.indices.contains(index), self.failure == nil else { return }
        let state = self.tracks[index]
        if self.firstArrival == nil { self.firstArrival = arrival }
        state.clock.noteArrival(of: packet.timestamp.rawValue, at: Double(arrival) / 1e9)
        state.reorder.insert(packet, arrival: arrival)
        self.drain(state, index: index, now: arrival)
    }

    func receiveSenderReport(track index: Int, ntp: UInt64, timestamp: UInt32) {
        guard self.tracks.indices.contains(index) else { return }
        self.tracks[index].clock.noteSenderReport(ntp: ntp, timestamp: timestamp)
    }

    /// Gives up gaps that waited too long, and opens the file when it is time.
    func tick(now: UInt64) {
        guard self.failure == nil else { return }
        for (index, state) in self.tracks.enumerated() { self.drain(state, index: index, now: now) }
        if self.writer == nil { self.openWhenReady(now: now, force: false) }
    }

    /// Writes what is still held and closes the file.
    func finish() {
        for (index, state) in self.tracks.enumerated() { self.drain(state, index: index, now: .max) }
        if self.writer == nil, self.failure == nil { self.openWhenReady(now: .max, force: true) }
        do {
            try self.writer?.finish()
        } catch {
            if self.failure == nil { self.failure = error }
        }
    }

    var durationSeconds: Double { Double(self.lastMilliseconds) / 1_000 }
    var bytesWritten: Int { self.writer?.bytesWritten ?? 0 }
    var codecs: [String] { self.tracks.map(\.track.codec.rawValue) }

    private func drain(_ state: TrackState, index: Int, now: UInt64) {
        while let (packet, afterGap) = state.reorder.next(now: now) {
            if let frame = state.assembler.add(packet, afterGap: afterGap) {
                self.take(frame, of: state)
            }
        }
        if state.track.codec.isVideo, state.assembler.needsKeyFrame, now != .max,
            now >= state.lastKeyFrameRequest + Self.keyFrameRequestInterval
        {
            state.lastKeyFrameRequest = now
            self.requestKeyFrame(index)
        }
    }

    private func take(_ frame: RecordedFrame, of state: TrackState) {
        let timestamp = state.clock.extend(frame.timestamp)
        if self.writer == nil {
            state.held.append((frame, timestamp))
        } else {
            self.write(frame, at: timestamp, of: state)
        }
    }

    private func openWhenReady(now: UInt64, force: Bool) {
        guard let first = self.firstArrival else { return }
        let waited = now &- first
        let reported = self.tracks.allSatisfy { $0.clock.senderReport != nil }
        guard force || reported || waited >= Self.senderReportWait else { return }
        let video = self.tracks.filter(\.track.codec.isVideo)
        let keyed = video.allSatisfy { $0.held.contains { $0.frame.isKey } }
        guard force || keyed || waited >= Self.keyFrameWait else { return }
        self.usesSenderClock = reported
        do {
            let writer = try MediaFileWriter(
                path: self.basePath + "." + self.container.fileExtension,
                container: self.container
            )
            for state in self.tracks {
                if state.track.codec.isVideo {
                    let size = state.held.lazy.compactMap(\.frame.size).first ?? (0, 0)
                    // The codec's private data from the key frame it starts on: H.264's SPS
                    // and PPS (browsers send them before each IDR), AV1's sequence header.
                    let key = state.held.first { $0.frame.isKey }?.frame.data ?? []
                    let extradata: [UInt8] =
                        switch state.track.codec {
                        case .h264: Self.parameterSets(in: key)
                        case .av1: AV1Bitstream.sequenceHeader(in: key) ?? []
                        default: []
                        }
                    state.stream = try writer.addVideo(
                        state.track.codec,
                        width: size.0,
                        height: size.1,
                        extradata: extradata
                    )
                } else {
                    state.stream = try writer.addAudio(
                        state.track.codec,
                        sampleRate: state.track.clockRate,
                        channels: state.track.channels,
                        extradata: Self.opusHead(channels: state.track.channels, sampleRate: state.track.clockRate)
                    )
                }
            }
            try writer.start()
            self.writer = writer
        } catch {
            self.failure = error
            for state in self.tracks { state.held.removeAll() }
            return
        }
        // Time zero is the video's first frame (the key frame it starts on), or the
        // earliest frame held when no video came: audio before it is left out, so that
        // both start together. Then everything held, in time order.
        var held: [(seconds: Double, frame: RecordedFrame, timestamp: Int64, state: TrackState)] = []
        for state in self.tracks {
            for (frame, timestamp) in state.held {
                guard let seconds = state.clock.seconds(at: timestamp, sender: self.usesSenderClock) else { continue }
                held.append((seconds, frame, timestamp, state))
            }
            state.held.removeAll()
        }
        held.sort { $0.seconds < $1.seconds }
        let firstVideo = held.first { $0.state.track.codec.isVideo }
        self.origin = firstVideo?.seconds ?? held.first?.seconds ?? 0
        for entry in held { self.write(entry.frame, at: entry.timestamp, of: entry.state) }
    }

    private func write(_ frame: RecordedFrame, at timestamp: Int64, of state: TrackState) {
        guard self.failure == nil, let writer = self.writer, let stream = state.stream,
            let seconds = state.clock.seconds(at: timestamp, sender: self.usesSenderClock)
        else { return }
        let milliseconds = Int64(((seconds - self.origin) * 1_000).rounded())
        guard milliseconds >= 0, milliseconds > state.lastMilliseconds else {
            self.framesLeftOut += 1
            return
        }
        do {
            try writer.write(
                stream: stream,
                frame.data,
                milliseconds: milliseconds,
                duration: frame.duration,
                isKey: frame.isKey
            )
            state.lastMilliseconds = milliseconds
            self.lastMilliseconds = max(self.lastMilliseconds, milliseconds + frame.duration)
            self.framesWritten += 1
        } catch {
            self.framesLeftOut += 1
            // A full disk ends the recording: what is written plays.
            if case .cannotWrite = error {
                self.failure = error
                for state in self.tracks { state.held.removeAll() }
            }
        }
    }

    /// The SPS and PPS NAL units of an Annex B access unit, each after a start code.
    static func parameterSets(in data: [UInt8]) -> [UInt8] {
        AnnexB.units(in: data).filter { [7, 8].contains(AnnexB.type(of: $0, in: data)) }
            .flatMap { FrameAssembler.startCode + data[$0] }
    }

    /// Opus's identification header (RFC 7845 §5.1), which Matroska and Ogg carry as the
    /// codec's private data: no pre-skip (RTP timestamps have none), mapping family 0.
    static func opusHead(channels: Int, sampleRate: Int) -> [UInt8] {
        var head = Array("OpusHead".utf8)
        head.append(1)
        head.append(UInt8(clamping: channels))
        head += [0, 0]
        let rate = UInt32(sampleRate)
        head += [UInt8(rate & 0xFF), UInt8(rate >> 8 & 0xFF), UInt8(rate >> 16 & 0xFF), UInt8(rate >> 24)]
        head += [0, 0, 0]
        return head
    }
}
