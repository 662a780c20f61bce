import Foundation
import Glibc

/// A publisher's tracks recorded as Janus records them, for `janus-pp-rec` pipelines
/// that exist: one `.mjr` file per track, each the track's RTP packets as they arrived
/// (Janus's recorder format, version 2).
///
/// A file starts with `MJR00002`, then a JSON header (two bytes of length, big-endian)
/// written with the first packet: the kind (`t`: `a` or `v`), the codec (`c`, as Janus
/// names it), when the file was made (`s`) and when its first packet came (`u`), both in
/// microseconds since 1970. Then each packet: `MEET`, the milliseconds since the first
/// packet (4 bytes), the packet's length (2 bytes), the packet.
final class JanusRecording {
    private final class Track {
        let path: String
        let codec: RecordedCodec
        let file: UnsafeMutablePointer<FILE>
        let created: Int64
        var first: UInt64?
        var bytes = 0

        init(path: String, codec: RecordedCodec) throws(RecordingError) {
            guard let file = fopen(path, "wb") else {
                throw .cannotCreate(path: path, reason: String(cString: strerror(errno)))
            }
            self.path = path
            self.codec = codec
            self.file = file
            self.created = Int64(Date().timeIntervalSince1970 * 1_000_000)
            self.write(Array("MJR00002".utf8))
        }

        func write(_ bytes: [UInt8]) {
            guard self.failure == nil else { return }
            let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, self.file) }
            self.bytes += written
            if written < bytes.count { self.failed(errno) }
        }

        func flush() {
            if self.failure == nil, fflush(self.file) != 0 { self.failed(errno) }
        }

        /// The first write error (a full disk): the track writes nothing more.
        private(set) var failure: RecordingError?

        private func failed(_ code: Int32) {
            self.failure = .cannotWrite(path: self.path, reason: String(cString: strerror(code)))
        }

        func record(_ packet: [UInt8], arrival: UInt64) {
            guard packet.count <= Int(UInt16.max) else { return }
            if self.first == nil {
                self.first = arrival
                let header: [String: Any] = [
                    "t": self.codec.isVideo ? "v" : "a", "c": self.codec.rawValue, "s": self.created,
                    "u": Int64(Date().timeIntervalSince1970 * 1_000_000),
                ]
                let text = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
                self.write([UInt8(text.count >> 8), UInt8(text.count & 0xFF)] + Array(text))
            }
            let milliseconds = UInt32(truncatingIfNeeded: (arrival &- (self.first ?? arrival)) / 1_000_000)
            var frame = Array("MEET".utf8)
            frame += [
                UInt8(milliseconds >> 24), UInt8(milliseconds >> 16 & 0xFF), UInt8(milliseconds >> 8 & 0xFF),
                UInt8(milliseconds & 0xFF), UInt8(packet.count >> 8), UInt8(packet.count & 0xFF),
            ]
            self.write(frame + packet)
        }
    }

    private let tracks: [Track]
    private var lastFlush: UInt64 = 0

    /// One file per track, at `basePaths` plus `.mjr`.
    init(basePaths: [String], codecs: [RecordedCodec]) throws(RecordingError) {
        var tracks: [Track] = []
        for (basePath, codec) in zip(basePaths, codecs) {
            tracks.append(try Track(path: basePath + ".mjr", codec: codec))
        }
        self.tracks = tracks
    }

    var paths: [String] { self.tracks.map(\.path) }
    var bytes: Int { self.tracks.reduce(0) { $0 + $1.bytes } }

    func receive(_ packet: [UInt8], track: Int, arrival: UInt64) {
        guard self.tracks.indices.contains(track) else { return }
        self.tracks[track].record(packet, arrival: arrival)
    }

    /// What is written reaches the kernel every 100 ms: a process killed loses at most
    /// that much.
    func tick(now: UInt64) {
        guard now >= self.lastFlush + 100_000_000 else { return }
        self.lastFlush = now
        for track in self.tracks { track.flush() }
    }

    /// The first track's write error, once one came.
    var failure: RecordingError? { self.tracks.lazy.compactMap(\.failure).first }

    func finish() {
        for track in self.tracks { fclose(track.file) }
    }
}
