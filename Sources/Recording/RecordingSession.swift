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
        /// The RTP stream recorded now (a simulcast track's changes when its highest
        /// stream stops or resumes), and every stream's clock.
        var ssrc: UInt32?
        var clocks: [UInt32: MediaClock] = [:]
        var held: [(frame: RecordedFrame, ssrc: UInt32, timestamp: Int64)] = []
        var stream: Int?
        var lastMilliseconds: Int64 = -1
        var lastKeyFrameRequest: UInt64 = 0
        /// Times the recorded stream changed.
        var streamChanges = 0

        init(_ track: Track) {
            self.track = track
            self.assembler = FrameAssembler(codec: track.codec)
        }

        /// The clock of stream `ssrc`, made on first use.
        func withClock<T>(_ ssrc: UInt32, _ body: (inout MediaClock) -> T) -> T {
            body(&self.clocks[ssrc, default: MediaClock(clockRate: self.track.clockRate)])
        }

        /// Whether the stream recorded now has a sender report.
        var isReported: Bool { self.ssrc.flatMap { self.clocks[$0]?.senderReport } != nil }

        func seconds(at timestamp: Int64, of ssrc: UInt32, sender: Bool) -> Double? {
            self.clocks[ssrc]?.seconds(at: timestamp, sender: sender)
        }

        /// A frame's time before the clock is chosen: on the sender's clock when its stream
        /// has a report, else on the receiver's.
        func anySeconds(at timestamp: Int64, of ssrc: UInt32) -> Double? {
            self.seconds(at: timestamp, of: ssrc, sender: true) ?? self.seconds(at: timestamp, of: ssrc, sender: false)
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
        if state.ssrc != packet.ssrc {
            // Another stream of the track from here on (it starts at a key frame): what
            // the last one left is taken, and its order and frames start over.
            if state.ssrc != nil {
                self.drain(state, index: index, now: .max)
                state.reorder = ReorderBuffer()
                state.assembler = FrameAssembler(codec: state.track.codec)
                state.streamChanges += 1
                // It changes at a key frame, still coming in: no request for another (the
                // request would let the recorded stream change again, to the same picture
                // in another stream).
                state.lastKeyFrameRequest = arrival
            }
            state.ssrc = packet.ssrc
        }
        state.withClock(packet.ssrc) { $0.noteArrival(of: packet.timestamp.rawValue, at: Double(arrival) / 1e9) }
        state.reorder.insert(packet, arrival: arrival)
        self.drain(state, index: index, now: arrival)
    }

    /// A sender report of stream `ssrc` of track `index`.
    func receiveSenderReport(track index: Int, ssrc: UInt32, ntp: UInt64, timestamp: UInt32) {
        guard self.tracks.indices.contains(index) else { return }
        self.tracks[index].withClock(ssrc) { $0.noteSenderReport(ntp: ntp, timestamp: timestamp) }
    }

    /// Times a track's recorded stream changed (simulcast: its highest stream stopped or
    /// resumed).
    func streamChanges(of index: Int) -> Int {
        self.tracks.indices.contains(index) ? self.tracks[index].streamChanges : 0
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
        guard let ssrc = state.ssrc else { return }
        let timestamp = state.withClock(ssrc) { $0.extend(frame.timestamp) }
        if self.writer == nil {
            // Another stream's key frame of the same picture (simulcast encodings start
            // together): it replaces what the other streams gave of that picture and later.
            if frame.isKey, state.held.contains(where: { $0.ssrc != ssrc }),
                let seconds = state.anySeconds(at: timestamp, of: ssrc)
            {
                state.held.removeAll { held in
                    held.ssrc != ssrc
                        && (state.anySeconds(at: held.timestamp, of: held.ssrc) ?? 0) >= seconds - 0.001
                }
            }
            state.held.append((frame, ssrc, timestamp))
        } else {
            self.write(frame, at: timestamp, of: ssrc, in: state)
        }
    }

    private func openWhenReady(now: UInt64, force: Bool) {
        guard let first = self.firstArrival else { return }
        let waited = now &- first
        let reported = self.tracks.allSatisfy(\.isReported)
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
        var held: [(seconds: Double, frame: RecordedFrame, ssrc: UInt32, timestamp: Int64, state: TrackState)] = []
        for state in self.tracks {
            for (frame, ssrc, timestamp) in state.held {
                guard let seconds = state.seconds(at: timestamp, of: ssrc, sender: self.usesSenderClock) else {
                    continue
                }
                held.append((seconds, frame, ssrc, timestamp, state))
            }
            state.held.removeAll()
        }
        held.sort { $0.seconds < $1.seconds }
        let firstVideo = held.first { $0.state.track.codec.isVideo }
        self.origin = firstVideo?.seconds ?? held.first?.seconds ?? 0
        for entry in held { self.write(entry.frame, at: entry.timestamp, of: entry.ssrc, in: entry.state) }
    }

    private func write(_ frame: RecordedFrame, at timestamp: Int64, of ssrc: UInt32, in state: TrackState) {
        guard self.failure == nil, let writer = self.writer, let stream = state.stream,
            let seconds = state.seconds(at: timestamp, of: ssrc, sender: self.usesSenderClock)
        else { return }
        var milliseconds = Int64(((seconds - self.origin) * 1_000).rounded())
        // A key frame is never left out for its time: the frames after it need it. (A
        // simulcast track's next stream may start at the picture last written.)
        if frame.isKey, state.track.codec.isVideo, milliseconds >= 0, milliseconds <= state.lastMilliseconds {
            milliseconds = state.lastMilliseconds + 1
        }
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
