/// Shares one subscriber's link among its simulcast video tracks: what each may have, in
/// spatial layers, so that everything sent stays within the link's estimate.
///
/// What cannot adapt is taken first (audio, single-stream video: `fixed`). Then every
/// simulcast track gets its lowest layer the publisher sends, then the tracks climb one
/// layer per round, highest priority first in each round, while the step's extra bitrate
/// fits and up to each track's preferred layer. Pure: the room applies the result with
/// hysteresis (`Participant.allocateLayers`).
public struct LayerAllocator: Sendable {
    /// One simulcast track as the allocator sees it.
    public struct Track: Sendable, Equatable {
        /// Each layer's measured bitrate, lowest first; `nil` for a layer the publisher
        /// is not sending.
        public var layerBitrates: [Int?]
        /// The highest layer the subscriber wants.
        public var preferredLayer: Int
        /// Higher goes first in each round (screen share, active speaker).
        public var priority: Int

        public init(layerBitrates: [Int?], preferredLayer: Int, priority: Int = 0) {
            self.layerBitrates = layerBitrates
            self.preferredLayer = preferredLayer
            self.priority = priority
        }
    }

    /// The share of the estimate that media may take; the rest absorbs keyframes and
    /// retransmissions.
    public static let usableShare = 0.9

    /// The highest layer each track may have, in the order given: `nil` for a track none
    /// of whose layers is sent, and for a track whose lowest layer does not fit after
    /// those of higher priority (`paused`). With no budget (no estimate yet) every track
    /// gets its preferred layer.
    public static func allocate(
        budget: Int?,
        fixed: Int,
        tracks: [Track]
    ) -> [(layer: Int?, paused: Bool)] {
        var result: [(layer: Int?, paused: Bool)] = tracks.map { _ in (nil, false) }
        let order = tracks.indices.sorted { tracks[$0].priority > tracks[$1].priority }
        guard let budget else {
            for index in order {
                let sent = Self.sentLayers(tracks[index])
                result[index].layer = sent.last { $0 <= tracks[index].preferredLayer } ?? sent.first
            }
            return result
        }
        var remaining = Int(Double(budget) * Self.usableShare) - fixed
        var taken: [Int: Int] = [:]  // track index -> bitrate taken
        for index in order {
            guard let lowest = Self.sentLayers(tracks[index]).first else { continue }
            let cost = tracks[index].layerBitrates[lowest] ?? 0
            guard cost <= remaining else {
                result[index].paused = true
                continue
            }
            remaining -= cost
            taken[index] = cost
            result[index].layer = lowest
        }
        var climbed = true
        while climbed {
            climbed = false
            for index in order {
                guard let current = result[index].layer else { continue }
                let track = tracks[index]
                guard let next = Self.sentLayers(track).first(where: { $0 > current }), next <= track.preferredLayer
                else { continue }
                let bitrate = track.layerBitrates[next] ?? 0
                let step = bitrate - (taken[index] ?? 0)
                guard step <= remaining else { continue }
                remaining -= step
                taken[index] = bitrate
                result[index].layer = next
                climbed = true
            }
        }
        return result
    }

    /// The layers the publisher sends, lowest first.
    static func sentLayers(_ track: Track) -> [Int] {
        track.layerBitrates.indices.filter { track.layerBitrates[$0] != nil }
    }
}
