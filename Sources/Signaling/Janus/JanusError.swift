/// An error of the Janus core API, sent as `{"janus":"error","error":{"code","reason"}}`.
/// Codes and reasons are Janus's (`apierror.h`, `janus.c`).
struct JanusError: Error, Sendable, Equatable {
    let code: Int
    let reason: String

    init(_ code: Int, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    static let unauthorized = JanusError(403, "Unauthorized request (wrong or missing secret/token)")
    static let unauthorizedPlugin = JanusError(405, "Provided token can't access plugin")
    static let missingRequest = JanusError(452, "Missing request")
    static func unknownRequest(_ verb: String) -> JanusError { JanusError(453, "Unknown request '\(verb.prefix(64))'") }
    static func invalidJSON(_ detail: String) -> JanusError { JanusError(454, "JSON error: \(detail)") }
    static let invalidJSONObject = JanusError(455, "Invalid JSON Object")
    static func missing(_ element: String) -> JanusError { JanusError(456, "Missing mandatory element (\(element))") }
    static func invalidPath(_ verb: String) -> JanusError {
        JanusError(457, "Unhandled request '\(verb.prefix(64))' at this path")
    }
    static func noSuchSession(_ id: UInt64) -> JanusError { JanusError(458, "No such session \(id)") }
    static func noSuchHandle(_ id: UInt64, session: UInt64) -> JanusError {
        JanusError(459, "No such handle \(id) in session \(session)")
    }
    static func noSuchPlugin(_ name: String) -> JanusError { JanusError(460, "No such plugin '\(name.prefix(64))'") }
    static func pluginMessage(_ reason: String) -> JanusError { JanusError(462, reason) }
    static func unknownJSEPType(_ type: String) -> JanusError {
        JanusError(464, "JSEP error: unknown message type '\(type.prefix(64))'")
    }
    static func invalidSDP(_ detail: String) -> JanusError { JanusError(465, "JSEP error: invalid SDP (\(detail))") }
    static func invalidType(_ element: String, _ expected: String) -> JanusError {
        JanusError(467, "Invalid element type (\(element) should be \(expected))")
    }
    static func sessionInUse(_ id: UInt64) -> JanusError { JanusError(468, "Session ID already in use (\(id))") }
    static let notAcceptingSessions = JanusError(472, "Not accepting new sessions")
    /// SwiftSFU's own (Janus has no request rate): HTTP's code for the same refusal.
    static func rateLimited(_ reason: String) -> JanusError { JanusError(429, "Too many requests (\(reason))") }
    /// SwiftSFU's own as well: the address holds as many sessions as `ClientLimits` lets it.
    static func tooManySessions(_ limit: Int) -> JanusError {
        JanusError(429, "Too many sessions from this address: at most \(limit)")
    }

    static func tooManyHandles(_ limit: Int) -> JanusError {
        JanusError(429, "Too many handles from this address: at most \(limit)")
    }
}

/// An error of the VideoRoom plugin, sent as plugin data
/// `{"videoroom":"event","error_code","error"}`: inside the `success` of a synchronous
/// request, or as the `event` after the `ack` of an asynchronous one.
struct VideoRoomError: Error, Sendable, Equatable {
    let code: Int
    let reason: String

    init(_ code: Int, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    static func invalidJSON(_ detail: String) -> VideoRoomError { VideoRoomError(422, "JSON error: \(detail)") }
    static func invalidRequest(_ reason: String) -> VideoRoomError { VideoRoomError(423, reason) }
    static func unknownRequest(_ name: String) -> VideoRoomError {
        VideoRoomError(423, "Unknown request '\(name.prefix(64))'")
    }
    static let joinFirst = VideoRoomError(424, "Invalid request on unconfigured participant")
    static let alreadyJoined = VideoRoomError(425, "Already in as a participant on this handle")
    static func noSuchRoom(_ room: UInt64) -> VideoRoomError { VideoRoomError(426, "No such room (\(room))") }
    static func roomExists(_ room: UInt64) -> VideoRoomError { VideoRoomError(427, "Room \(room) already exists") }
    static func noSuchFeed(_ feed: UInt64) -> VideoRoomError { VideoRoomError(428, "No such feed (\(feed))") }
    static func missing(_ element: String) -> VideoRoomError { VideoRoomError(429, "Missing element (\(element))") }
    static func invalidElement(_ element: String, _ expected: String) -> VideoRoomError {
        VideoRoomError(430, "Invalid element (\(element) should be \(expected))")
    }
    static let onlyPublishersOffer = VideoRoomError(431, "Only publishers send offers")
    static func publishersFull(_ maximum: Int) -> VideoRoomError {
        VideoRoomError(432, "Maximum number of publishers (\(maximum)) already reached")
    }
    /// SwiftSFU's own (Janus has no subscriber limit): the publishers' code, for a room
    /// that takes no more participants of either kind.
    static func subscribersFull(_ maximum: Int) -> VideoRoomError {
        VideoRoomError(432, "Maximum number of subscribers (\(maximum)) already reached")
    }
    static func unauthorized(_ what: String) -> VideoRoomError { VideoRoomError(433, "Unauthorized (\(what))") }
    static let alreadyPublished = VideoRoomError(434, "Can't publish, already published")
    static let notPublished = VideoRoomError(435, "Can't unpublish, not published")
    static func idExists(_ id: UInt64) -> VideoRoomError { VideoRoomError(436, "User ID \(id) already exists") }
    static func invalidSDP(_ detail: String) -> VideoRoomError { VideoRoomError(437, "Error parsing SDP: \(detail)") }
    static func unknown(_ reason: String) -> VideoRoomError { VideoRoomError(499, reason) }
    /// Janus has no such state: its unknown-error code, with a reason that says it.
    static let draining = VideoRoomError(499, "The server is draining: join a room on another server")
}
