/// Keeps one outgoing RTP stream continuous while its source changes.
///
/// A consumer forwards packets of one source at a time (a simulcast layer, a
/// re-published track). When the source switches, the subscriber must see no gap and no
/// jump: the next sequence number is the last sent plus one and the timestamp moves on
/// by a plausible frame interval. The rewriter keeps the offsets that make that so, and
/// drops stragglers of a source that arrive from before the switch point.
public struct RTPStreamRewriter: Sendable {
    @usableFromInline var sequenceOffset: UInt16 = 0
    @usableFromInline var timestampOffset: UInt32 = 0
    /// The current source's sequence numbers unwrapped, so that "older than its first
    /// packet" stays true across wraps (compared in 16 bits, every packet would count as
    /// older once the source had sent 32,768).
    @usableFromInline var sourceNumbers = SequenceNumberUnwrapper()
    /// The first input sequence number of the current source, unwrapped; older ones are
    /// dropped.
    @usableFromInline var sourceBase: Int64?
    @usableFromInline var pendingSwitch: RTPTimestamp?
    /// The first output sequence number of the current source: what was sent before it
    /// came from another source.
    @usableFromInline var sourceFirstOutput: SequenceNumber?
    /// The newest output so far.
    @usableFromInline var lastSequenceNumber: SequenceNumber?
    @usableFromInline var lastTimestamp: RTPTimestamp?
    /// Where the sequence offset changed within the current source because packets were
    /// skipped: from `output` on, input = output &- `offset`. Oldest first, at most
    /// `keptSkips`; what NACKed numbers map back through.
    @usableFromInline var skips: [(output: SequenceNumber, offset: UInt16)] = []
    /// The offset in force before the oldest kept skip; `nil` once a skip was forgotten
    /// (outputs before the oldest kept one no longer map back).
    @usableFromInline var offsetBeforeSkips: UInt16?

    public init() {}

    /// The newest sequence number sent on the outgoing stream.
    public var lastOutputSequenceNumber: SequenceNumber? { self.lastSequenceNumber }

    /// The newest timestamp sent on the outgoing stream.
    public var lastOutputTimestamp: RTPTimestamp? { self.lastTimestamp }

    /// The mapping in force, output = input &+ offset, once a packet was rewritten: what
    /// maps a NACKed output number back to its input, and a sender's clock forward.
    public var offsets: (sequenceNumber: UInt16, timestamp: UInt32)? {
        self.lastSequenceNumber == nil ? nil : (self.sequenceOffset, self.timestampOffset)
    }

    /// Announces that the next packet comes from a new source. Its timestamp will be
    /// mapped to `timestampGap` ticks after the last one sent (for example one frame
    /// interval, 3000 at 90 kHz and 30 fps).
    public mutating func switchSource(timestampGap: UInt32) {
        self.pendingSwitch = RTPTimestamp(timestampGap)
        self.sourceBase = nil
        self.skips.removeAll(keepingCapacity: true)
        self.sourceNumbers = SequenceNumberUnwrapper()
    }

    /// Maps an input packet of the current source to its output numbers, or returns `nil`
    /// when it is a straggler from before the current source started.
    @inlinable
    public mutating func rewrite(
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp
    ) -> (sequenceNumber: SequenceNumber, timestamp: RTPTimestamp)? {
        let extended = self.sourceNumbers.unwrap(sequenceNumber)
        if let base = self.sourceBase {
            guard extended >= base else { return nil }
        } else {
            self.sourceBase = extended
            self.start(sequenceNumber: sequenceNumber, timestamp: timestamp)
            self.sourceFirstOutput = SequenceNumber(sequenceNumber.rawValue &+ self.sequenceOffset)  // wraps by design
        }
        let outSequence = SequenceNumber(sequenceNumber.rawValue &+ self.sequenceOffset)  // wraps by design
        let outTimestamp = RTPTimestamp(timestamp.rawValue &+ self.timestampOffset)  // wraps by design
        if let last = self.lastSequenceNumber {
            if outSequence.isNewer(than: last) {
                self.lastSequenceNumber = outSequence
                self.lastTimestamp = outTimestamp
            }
        } else {
            self.lastSequenceNumber = outSequence
            self.lastTimestamp = outTimestamp
        }
        return (outSequence, outTimestamp)
    }

    /// The input sequence number of the current source that was sent as `output`; `nil`
    /// when `output` was sent before the current source started, or is not sent yet.
    public func input(forOutput output: SequenceNumber) -> SequenceNumber? {
        guard let first = self.sourceFirstOutput, let last = self.lastSequenceNumber,
            !first.isNewer(than: output), !output.isNewer(than: last)
        else { return nil }
        var offset = self.sequenceOffset
        if !self.skips.isEmpty {
            if let skip = self.skips.last(where: { !$0.output.isNewer(than: output) }) {
                offset = skip.offset
            } else if let before = self.offsetBeforeSkips {
                offset = before
            } else {
                return nil
            }
        }
        return SequenceNumber(output.rawValue &- offset)  // wraps by design
    }

    /// Takes a dropped input packet out of the outgoing numbering, so the subscriber does
    /// not see a gap it would NACK. Only the newest packet can be taken out; an older one
    /// has numbers already sent after it.
    @inlinable
    public mutating func skip(sequenceNumber: SequenceNumber) {
        guard let last = self.lastSequenceNumber, self.sourceBase != nil else { return }
        let mapped = SequenceNumber(sequenceNumber.rawValue &+ self.sequenceOffset)  // wraps by design
        guard last.distance(to: mapped) == 1 else { return }
        if self.skips.isEmpty { self.offsetBeforeSkips = self.sequenceOffset }
        self.sequenceOffset &-= 1  // wraps by design
        let next = mapped  // the output the next packet sent takes
        if self.skips.last?.output == next {
            self.skips[self.skips.count - 1].offset = self.sequenceOffset
        } else {
            if self.skips.count == Self.keptSkips {
                self.skips.removeFirst()
                self.offsetBeforeSkips = nil
            }
            self.skips.append((next, self.sequenceOffset))
        }
    }

    /// How many offset changes it keeps for NACKs: a stream that drops every other frame
    /// changes it about 15 times a second, and NACKs come within a round trip.
    @usableFromInline static let keptSkips = 64

    @usableFromInline
    mutating func start(sequenceNumber: SequenceNumber, timestamp: RTPTimestamp) {
        guard let lastSequence = self.lastSequenceNumber, let lastTimestamp = self.lastTimestamp else {
            return  // the very first source keeps its own numbers
        }
        let gap = self.pendingSwitch?.rawValue ?? 1
        self.pendingSwitch = nil
        self.sequenceOffset = lastSequence.rawValue &+ 1 &- sequenceNumber.rawValue  // wraps by design
        self.timestampOffset = lastTimestamp.rawValue &+ gap &- timestamp.rawValue  // wraps by design
    }
}
