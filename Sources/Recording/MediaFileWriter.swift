import CAVFormat
import Glibc

/// A media file written by libavformat's muxers: WebM (VP8, VP9, AV1 with Opus), Matroska
/// (H.264 with Opus) or Ogg (Opus alone). Frames go in whole, with millisecond times from
/// the start of the recording; Matroska clusters close every second and every packet
/// reaches the kernel at once, so a file cut by SIGKILL plays up to its last second or so.
///
/// Not thread-safe: one recording thread owns it.
final class MediaFileWriter {
    enum Container: String, Sendable {
        case webm
        case matroska
        case ogg

        var fileExtension: String {
            switch self {
            case .webm: "webm"
            case .matroska: "mkv"
            case .ogg: "ogg"
            }
        }
    }

    let path: String
    let container: Container
    private var muxer: OpaquePointer?
    /// Frame bytes handed to the muxer; once finished, the file's size.
    private(set) var bytesWritten = 0

    init(path: String, container: Container) throws(RecordingError) {
        var error = [CChar](repeating: 0, count: 256)
        guard let muxer = sfu_muxer_open(path, container.rawValue, 1_000, &error, error.count) else {
            throw .cannotCreate(
                path: path,
                reason: String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
            )
        }
        self.path = path
        self.container = container
        self.muxer = muxer
    }

    deinit {
        if let muxer { _ = sfu_muxer_finish(muxer) }
    }

    func addVideo(
        _ codec: RecordedCodec,
        width: Int,
        height: Int,
        extradata: [UInt8] = []
    ) throws(RecordingError) -> Int {
        let index = sfu_muxer_add_video(
            try self.open(),
            codec.muxerCodec,
            Int32(width),
            Int32(height),
            extradata,
            Int32(extradata.count)
        )
        return try Self.check(index, "a \(codec) stream")
    }

    func addAudio(
        _ codec: RecordedCodec,
        sampleRate: Int,
        channels: Int,
        extradata: [UInt8] = []
    ) throws(RecordingError) -> Int {
        let index = sfu_muxer_add_audio(
            try self.open(),
            codec.muxerCodec,
            Int32(sampleRate),
            Int32(channels),
            extradata,
            Int32(extradata.count)
        )
        return try Self.check(index, "a \(codec) stream")
    }

    /// Writes the header: every stream is added.
    func start() throws(RecordingError) {
        let muxer = try self.open()
        try self.check(sfu_muxer_start(muxer), of: muxer, "the header")
    }

    func write(
        stream: Int,
        _ data: [UInt8],
        milliseconds: Int64,
        duration: Int64 = 0,
        isKey: Bool
    ) throws(RecordingError) {
        let muxer = try self.open()
        try self.check(
            sfu_muxer_write(muxer, Int32(stream), data, Int32(data.count), milliseconds, duration, isKey ? 1 : 0),
            of: muxer,
            "a frame at \(milliseconds) ms"
        )
        self.bytesWritten += data.count
    }

    /// Writes the trailer and closes the file.
    func finish() throws(RecordingError) {
        guard let muxer = self.muxer else { return }
        self.muxer = nil
        defer {
            var status = stat()
            if stat(self.path, &status) == 0 { self.bytesWritten = Int(status.st_size) }
        }
        _ = try Self.check(sfu_muxer_finish(muxer), "the trailer")
    }

    private func open() throws(RecordingError) -> OpaquePointer {
        guard let muxer = self.muxer else { throw .muxer("the file is closed") }
        return muxer
    }

    private static func check(_ result: Int32, _ what: String) throws(RecordingError) -> Int {
        guard result < 0 else { return Int(result) }
        throw .muxer("\(what): \(Self.text(of: result))")
    }

    /// Throws `cannotWrite` when the file took an I/O error (for good: a full disk), else
    /// `muxer` when the muxer refused.
    private func check(_ result: Int32, of muxer: OpaquePointer, _ what: String) throws(RecordingError) {
        guard result < 0 else { return }
        let failure = sfu_muxer_io_error(muxer)
        if failure < 0 { throw .cannotWrite(path: self.path, reason: Self.text(of: failure)) }
        throw .muxer("\(what): \(Self.text(of: result))")
    }

    private static func text(of code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 256)
        sfu_muxer_error_text(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
    }
}

extension RecordedCodec {
    fileprivate var muxerCodec: Int32 {
        switch self {
        case .vp8: Int32(SFU_CODEC_VP8)
        case .vp9: Int32(SFU_CODEC_VP9)
        case .h264: Int32(SFU_CODEC_H264)
        case .av1: Int32(SFU_CODEC_AV1)
        case .opus: Int32(SFU_CODEC_OPUS)
        }
    }
}
