import Glibc
import NIOCore
import RTP

/// Nanoseconds on the monotonic clock, which every process on the machine shares: the
/// send time a publisher writes is comparable with the receive time a subscriber reads.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// The 16 bytes at the end of every synthetic payload: which stream, which packet of it,
/// and when it was sent. Servers forward payloads untouched, so subscribers read it back.
/// With real media (`MediaClips`), the stamp is the RTP padding instead (16 bytes and the
/// count byte, RFC 3550 §5.1), which depacketizers and decoders leave aside.
struct PacketStamp: Equatable {
    static let length = 16
    /// Padding that holds a stamp: the stamp and the count byte.
    static let paddingLength = length + 1
    static let magic: UInt16 = 0x5346  // "SF"

    /// `Settings.stream(feed:layer:)`: the feed's audio, or one of its video encodings.
    var stream: UInt16
    var counter: UInt32
    var sentAt: UInt64

    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.magic)
        buffer.writeInteger(self.stream)
        buffer.writeInteger(self.counter)
        buffer.writeInteger(self.sentAt)
    }

    /// The stamp at the end of `payload`, or `nil` when it has none.
    init?(endOf payload: UnsafeRawBufferPointer) {
        guard payload.count >= Self.length else { return nil }
        let start = payload.count - Self.length
        func read<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            var value: T = 0
            withUnsafeMutableBytes(of: &value) {
                $0.copyMemory(
                    from: UnsafeRawBufferPointer(
                        rebasing: payload[start + offset..<start + offset + MemoryLayout<T>.size]
                    )
                )
            }
            return T(bigEndian: value)
        }
        guard read(0, as: UInt16.self) == Self.magic else { return nil }
        self.stream = read(2, as: UInt16.self)
        self.counter = read(4, as: UInt32.self)
        self.sentAt = read(8, as: UInt64.self)
    }

    /// The stamp of a packet: in its padding, or at the end of its payload.
    init?(of packet: RTPPacket) {
        if packet.paddingLength == Self.paddingLength {
            let stamp = packet.bytes.withUnsafeReadableBytes { bytes in
                Self(endOf: UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - 1)]))
            }
            guard let stamp else { return nil }
            self = stamp
        } else {
            guard let stamp = packet.withPayloadBytes({ Self(endOf: $0) }) else { return nil }
            self = stamp
        }
    }

    init(stream: UInt16, counter: UInt32, sentAt: UInt64) {
        self.stream = stream
        self.counter = counter
        self.sentAt = sentAt
    }
}

/// What a publisher sends: VP8 at a target bitrate, ~30 frames/s, with valid payload
/// descriptors (picture ID, start-of-partition) and a key frame every few seconds or when
/// asked; Opus-sized audio every 20 ms. Every payload ends with a `PacketStamp`.
///
/// With `simulcastLayers` above 1 the video goes out as that many encodings on SSRCs of
/// their own, as Chromium sends simulcast: each a quarter of the bitrate of the one above
/// it (half the width and height), in three temporal layers (the L1T3 pattern 0, 2, 1, 2,
/// with TL0PICIDX and the layer-sync bit), key frames on all of them at once.
struct SyntheticMedia {
    struct Settings: Sendable {
        var videoBitrate = 1_000_000
        var framesPerSecond = 30
        var keyFrameInterval: Duration = .seconds(3)
        var audioPayloadSize = 100
        var maximumPayloadSize = 1_100
        var audioPayloadType: UInt8 = 111
        var videoPayloadType: UInt8 = 96
        /// The header-extension id of the transport-wide sequence number every packet
        /// carries (draft-holmer-rmcat-transport-wide-cc-extensions-01), or nil for none.
        var transportWideSequenceID: UInt8? = 3
        /// Video encodings per publisher: 1, or 2 or 3 for simulcast.
        var simulcastLayers = 1
        /// Real VP8 and Opus to send instead of synthetic payloads.
        var clips: MediaClips?
        /// Publishers send no media: every peer only keeps its connection up.
        var idle = false

        /// Stamp streams per feed: its audio, then each video encoding.
        var streamsPerFeed: Int { 1 + self.simulcastLayers }

        /// The stamp stream of a feed's audio, or of its video encoding `layer`.
        func stream(feed: Int, layer: Int? = nil) -> Int {
            feed * self.streamsPerFeed + (layer.map { 1 + $0 } ?? 0)
        }

        /// The video bitrate of encoding `layer`: the whole bitrate for the highest.
        func bitrate(layer: Int) -> Int {
            self.videoBitrate >> (2 * (self.simulcastLayers - 1 - layer))
        }
    }

    /// One video encoding's own numbering.
    private struct Encoding {
        let ssrc: SSRC
        let stream: Int
        let bitrate: Int
        var sequence: UInt16 = 1
        var counter: UInt32 = 0
    }

    /// The temporal layer of each frame in a period of L1T3, and whether it depends on
    /// the base layer only (the layer-sync bit, RFC 7741 §4.2).
    private static let temporalPattern: [(layer: UInt8, sync: Bool)] = [(0, false), (2, true), (1, true), (2, false)]

    let settings: Settings
    let feed: Int
    let audioSSRC: SSRC
    private var encodings: [Encoding]
    private var audioSequence: UInt16 = 1
    private var audioCounter: UInt32 = 0
    /// One counter over every stream: they share the transport.
    private var transportSequence: UInt16 = 0
    private var pictureID: UInt16 = 0
    /// The frame's place in the temporal pattern, 0 at each key frame.
    private var patternIndex = 0
    private var baseLayerIndex: UInt8 = 0
    private var nextVideo: UInt64 = 0
    private var nextAudio: UInt64 = 0
    private var lastKeyFrame: UInt64 = 0
    /// With real media: the clip's frame sent next (0, its key frame, after a request).
    private var clipFrame = 0
    private let start: UInt64
    var isKeyFrameRequested = true
    private var buffer = ByteBufferAllocator().buffer(capacity: 1_500)

    /// `videoSSRCs` has one SSRC per encoding, the lowest first.
    init(settings: Settings, feed: Int, audioSSRC: SSRC, videoSSRCs: [SSRC]) {
        self.settings = settings
        self.feed = feed
        self.audioSSRC = audioSSRC
        self.encodings = videoSSRCs.enumerated().map { layer, ssrc in
            Encoding(
                ssrc: ssrc,
                stream: settings.stream(feed: feed, layer: layer),
                bitrate: settings.bitrate(layer: layer)
            )
        }
        self.start = monotonicNanoseconds()
        self.nextVideo = self.start
        self.nextAudio = self.start
    }

    /// How long the earliest packet due has waited for its send, in nanoseconds: more
    /// than a tick (5 ms) means the generator is falling behind.
    func lateness(at now: UInt64) -> UInt64 {
        let due = min(self.nextAudio, self.nextVideo)
        return now > due ? now - due : 0
    }

    /// Hands every packet due by `now` to `send`, with its stream (as in `PacketStamp`).
    mutating func sendDue(now: UInt64, _ send: (RTPPacket, _ stream: Int) -> Void) {
        while self.nextAudio <= now {
            let timestamp = UInt32(truncatingIfNeeded: (self.nextAudio - self.start) / 1_000_000 * 48)
            self.buffer.clear()
            let clips = self.settings.clips
            self.writeHeader(
                marker: false,
                self.settings.audioPayloadType,
                self.audioSequence,
                timestamp,
                self.audioSSRC,
                padding: clips != nil
            )
            if let clips {
                self.buffer.writeBytes(clips.audio[Int(self.audioCounter) % clips.audio.count])
            } else {
                self.buffer.writeRepeatingByte(0xF8, count: self.settings.audioPayloadSize - PacketStamp.length)
            }
            let stream = self.settings.stream(feed: self.feed)
            PacketStamp(stream: UInt16(stream), counter: self.audioCounter, sentAt: now).write(into: &self.buffer)
            if clips != nil { self.buffer.writeInteger(UInt8(PacketStamp.paddingLength)) }
            if let packet = try? RTPPacket(validating: self.buffer) {
                send(packet, stream)
            }
            self.audioSequence &+= 1
            self.audioCounter &+= 1
            self.nextAudio += 20_000_000
        }
        let frameInterval = UInt64(1_000_000_000 / self.settings.framesPerSecond)
        while self.nextVideo <= now {
            let timestamp = UInt32(truncatingIfNeeded: (self.nextVideo - self.start) / 1_000 * 90 / 1_000)
            let keyFrameNanoseconds = UInt64(self.settings.keyFrameInterval.components.seconds) * 1_000_000_000
            let isKey: Bool
            if self.settings.clips != nil {
                // The clip's first frame is its only key frame: a request starts it over.
                if self.isKeyFrameRequested { self.clipFrame = 0 }
                isKey = self.clipFrame == 0
            } else {
                isKey = self.isKeyFrameRequested || now - self.lastKeyFrame >= keyFrameNanoseconds
            }
            if isKey {
                self.isKeyFrameRequested = false
                self.lastKeyFrame = now
                self.patternIndex = 0
            }
            let temporal = Self.temporalPattern[self.patternIndex]
            if self.encodings.count > 1, temporal.layer == 0 { self.baseLayerIndex &+= 1 }
            for index in self.encodings.indices {
                self.sendFrame(
                    of: index,
                    isKey: isKey,
                    temporal: temporal,
                    timestamp: timestamp,
                    now: now,
                    send
                )
            }
            self.pictureID = (self.pictureID &+ 1) & 0x7FFF
            self.patternIndex = (self.patternIndex + 1) % Self.temporalPattern.count
            if let clips = self.settings.clips {
                self.clipFrame = (self.clipFrame + 1) % (clips.video.map(\.count).min() ?? 1)
            }
            self.nextVideo += frameInterval
        }
    }

    /// One frame of encoding `index` in as many packets as its size needs; a key frame is
    /// three times the size of a delta frame, as with a real encoder.
    private mutating func sendFrame(
        of index: Int,
        isKey: Bool,
        temporal: (layer: UInt8, sync: Bool),
        timestamp: UInt32,
        now: UInt64,
        _ send: (RTPPacket, _ stream: Int) -> Void
    ) {
        let encoding = self.encodings[index]
        let isLayered = self.encodings.count > 1
        let clip = self.settings.clips.map { $0.video[index][self.clipFrame % $0.video[index].count] }
        let frameSize = clip?.count ?? encoding.bitrate / self.settings.framesPerSecond / 8 * (isKey ? 3 : 1)
        let perPacket = self.settings.maximumPayloadSize - (clip == nil ? 0 : 6 + PacketStamp.paddingLength)
        let count = max(1, (frameSize + perPacket - 1) / perPacket)
        let size = max(PacketStamp.length + 16, frameSize / count)
        for packetIndex in 0..<count {
            self.buffer.clear()
            self.writeHeader(
                marker: packetIndex == count - 1,
                self.settings.videoPayloadType,
                self.encodings[index].sequence,
                timestamp,
                encoding.ssrc,
                padding: clip != nil
            )
            // VP8 payload descriptor (RFC 7741 §4.2): X, S on the first packet, PID 0;
            // I with a 15-bit picture ID; for simulcast also L and T, with TL0PICIDX and
            // the temporal layer.
            self.buffer.writeInteger(UInt8(packetIndex == 0 ? 0x90 : 0x80))
            self.buffer.writeInteger(UInt8(isLayered ? 0xE0 : 0x80))
            self.buffer.writeInteger(UInt16(0x8000 | self.pictureID))
            var written = 4
            if isLayered {
                self.buffer.writeInteger(self.baseLayerIndex)
                self.buffer.writeInteger(temporal.layer << 6 | (temporal.sync ? 0x20 : 0))
                written += 2
            }
            if let clip {
                // The frame's share of this packet; the stamp goes in the padding.
                let share = (frameSize + count - 1) / count
                let start = packetIndex * share
                self.buffer.writeBytes(clip[start..<min(clip.count, start + share)])
            } else {
                if packetIndex == 0 {
                    // VP8 payload header (RFC 6386 §9.1): the key-frame bit is 0 on key
                    // frames, which carry the start code and the dimensions.
                    if isKey {
                        self.buffer.writeBytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01])
                        written += 10
                    } else {
                        self.buffer.writeBytes([0x11, 0x02, 0x00])
                        written += 3
                    }
                }
                self.buffer.writeRepeatingByte(0x5A, count: max(0, size - written - PacketStamp.length))
            }
            PacketStamp(stream: UInt16(encoding.stream), counter: self.encodings[index].counter, sentAt: now).write(
                into: &self.buffer
            )
            if clip != nil { self.buffer.writeInteger(UInt8(PacketStamp.paddingLength)) }
            if let packet = try? RTPPacket(validating: self.buffer) {
                send(packet, encoding.stream)
            }
            self.encodings[index].sequence &+= 1
            self.encodings[index].counter &+= 1
        }
    }

    private mutating func writeHeader(
        marker: Bool,
        _ payloadType: UInt8,
        _ sequence: UInt16,
        _ timestamp: UInt32,
        _ ssrc: SSRC,
        padding: Bool = false
    ) {
        let id = self.settings.transportWideSequenceID
        self.buffer.writeInteger(UInt8(id == nil ? 0x80 : 0x90) | (padding ? 0x20 : 0))
        self.buffer.writeInteger(UInt8(marker ? 0x80 : 0) | payloadType)
        self.buffer.writeInteger(sequence)
        self.buffer.writeInteger(timestamp)
        self.buffer.writeInteger(ssrc)
        guard let id else { return }
        // One one-byte-header element (RFC 8285 §4.2) of 2 bytes, padded to a word.
        self.buffer.writeInteger(UInt16(0xBEDE))
        self.buffer.writeInteger(UInt16(1))
        self.buffer.writeInteger(id << 4 | 1)
        self.buffer.writeInteger(self.transportSequence)
        self.buffer.writeInteger(UInt8(0))
        self.transportSequence &+= 1
    }
}
