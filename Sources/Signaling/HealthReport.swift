/// The body of `GET /health`, in the shape the seed call service's health check uses.
public struct HealthReport: Codable, Equatable, Sendable {
    public struct MediaServer: Codable, Equatable, Sendable {
        public var connected: Bool
        public var activeRooms: Int
        public var totalParticipants: Int

        enum CodingKeys: String, CodingKey {
            case connected
            case activeRooms = "active_rooms"
            case totalParticipants = "total_participants"
        }
    }

    public var status: String
    public var mediaServer: MediaServer
    public var activeCalls: Int
    public var version: String

    enum CodingKeys: String, CodingKey {
        case status
        case mediaServer = "media_server"
        case activeCalls = "active_calls"
        case version
    }

    /// `healthy`, or `draining` once the server takes no new calls (answered with 503).
    public init(activeRooms: Int, totalParticipants: Int, version: String, draining: Bool = false) {
        self.status = draining ? "draining" : "healthy"
        self.mediaServer = MediaServer(connected: true, activeRooms: activeRooms, totalParticipants: totalParticipants)
        self.activeCalls = activeRooms
        self.version = version
    }
}
