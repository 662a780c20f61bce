/// Shares one subscriber's link among its simulcast video tracks: what each may have, in
/// spatial layers, so that everything sent stays within the link's estimate.
///
/// What cannot adapt is taken first (audio, single-stream video: `fixed`). Then every
/// simulcast track gets its lowest layer the publisher sends, then the tracks climb one
/// layer per round, highest priority first in each round, while the step's extra bitrate
/// fits and up to each track's preferred layer. A track whose lowest layer does not fit
/// gets the most of that layer's temporal layers that fits (a lower frame rate), else it
/// is paused; but the subscriber is never left with no video at all: the highest-priority
/// track keeps its lowest step, which carries the probes that tell when the link has room
/// again (docs/decisions.md). Pure: the room applies the result with hysteresis
/// (`Participant.allocateLayers`).
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
        /// The lowest sent layer's bitrate up to each of its temporal layers, lowest
        /// first (the last is the whole layer); empty when it has none.
        public var baseTemporalBitrates: [Int]

        public init(layerBitrates: [Int?], preferredLayer: Int, priority: Int = 0, baseTemporalBitrates: [Int] = []) {
            self.layerBitrates = layerBitrates
            self.preferredLayer = preferredLayer
            self.priority = priority
            self.baseTemporalBitrates = baseTemporalBitrates
        }
    }

    /// What one track may have: its highest spatial layer (`nil`: none), the highest
    /// temporal layer of it when not every one fits (`nil`: all), and whether it is paused
    /// because not even its lowest step fits.
    public struct Share: Sendable, Equatable {
        public var layer: Int?
        public var temporalLayer: Int?
        public var paused: Bool
    }

    /// The share of the estimate that media may take; the rest absorbs keyframes and
    /// retransmissions.
    public static let usableShare = 0.9

    /// What each track may have, in the order given: no layer for a track none of whose
    /// layers is sent; for a track whose lowest layer does not fit after those of higher
    /// priority, the temporal layers of it that fit, else `paused`. With no budget (no
    /// estimate yet) every track gets its preferred layer.
    public static func allocate(budget: Int?, fixed: Int, tracks: [Track]) -> [Share] {
        var result = tracks.map { _ in Share(layer: nil, temporalLayer: nil, paused: false) }
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
            if cost <= remaining {
                remaining -= cost
                taken[index] = cost
                result[index].layer = lowest
            } else if let temporal = tracks[index].baseTemporalBitrates.dropLast().lastIndex(where: { $0 <= remaining })
            {
                remaining -= tracks[index].baseTemporalBitrates[temporal]
                result[index].layer = lowest
                result[index].temporalLayer = temporal
            } else {
                result[index].paused = true
            }
        }
        // Never no video at all: the first track that can be sent keeps its lowest step.
        if result.allSatisfy({ $0.layer == nil }),
            let index = order.first(where: { Self.sentLayers(tracks[$0]).first != nil })
        {
            result[index].layer = Self.sentLayers(tracks[index]).first
            result[index].temporalLayer = tracks[index].baseTemporalBitrates.count > 1 ? 0 : nil
            result[index].paused = false
            return result
        }
        var climbed = true
        while climbed {
            climbed = false
            for index in order {
                guard let current = result[index].layer, result[index].temporalLayer == nil else { continue }
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
