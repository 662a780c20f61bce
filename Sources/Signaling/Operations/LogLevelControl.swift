public import Logging
import Synchronization

/// The process's log level, which can change while it runs (the Janus Admin API's
/// `set_log_level`): every logger whose handler `handler(label:)` made reads it at each
/// message.
public final class LogLevelControl: Sendable {
    private let index: Atomic<Int>

    public init(_ level: Logger.Level) {
        self.index = Atomic(Self.levels.firstIndex(of: level) ?? 2)
    }

    static let levels = Logger.Level.allCases

    public var level: Logger.Level {
        get { Self.levels[self.index.load(ordering: .relaxed)] }
        set { self.index.store(Self.levels.firstIndex(of: newValue) ?? 2, ordering: .relaxed) }
    }

    /// A handler writing to standard error at the current level, for `LoggingSystem`.
    public func handler(label: String) -> any LogHandler {
        AdjustableLogHandler(inner: StreamLogHandler.standardError(label: label), control: self)
    }

    /// Janus's log levels (0 none … 4 info … 7 debug) as swift-log's.
    public static func level(janus: Int) -> Logger.Level {
        switch janus {
        case ...1: .critical
        case 2: .error
        case 3: .warning
        case 4: .info
        case 5: .debug
        default: .trace
        }
    }

    /// The Janus level that `level` is told as.
    public static func janusLevel(of level: Logger.Level) -> Int {
        switch level {
        case .critical: 1
        case .error: 2
        case .warning, .notice: 3
        case .info: 4
        case .debug: 5
        case .trace: 7
        }
    }
}

/// A stream handler whose level is the control's, not its own.
struct AdjustableLogHandler: LogHandler {
    var inner: StreamLogHandler
    let control: LogLevelControl

    var logLevel: Logger.Level {
        get { self.control.level }
        set { self.control.level = newValue }
    }

    var metadata: Logger.Metadata {
        get { self.inner.metadata }
        set { self.inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { self.inner.metadataProvider }
        set { self.inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.inner[metadataKey: key] }
        set { self.inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        // The logger has checked the level already.
        self.inner.log(event: event)
    }
}
