/// Why a recording could not be made or went on without some of its media.
public enum RecordingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be created (`reason` from the system or libavformat).
    case cannotCreate(path: String, reason: String)
    /// The file could not be written (a full disk, an I/O error): the recording stops,
    /// and what was written before plays.
    case cannotWrite(path: String, reason: String)
    /// The container refused a stream or a frame.
    case muxer(String)
    /// A directory or file name that would leave the recordings root, or has no name.
    case invalidPath(String)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        case .muxer(let reason): "the muxer refused: \(reason)"
        case .invalidPath(let path): "not a usable recording path: \(path)"
        }
    }
}
