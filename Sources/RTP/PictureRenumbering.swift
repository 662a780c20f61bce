/// Keeps a consumer's VP8 / VP9 picture numbers (picture id and TL0PICIDX) running on
/// without a gap while it drops frames of higher temporal layers or moves to another
/// simulcast stream, as `RTPStreamRewriter` does for sequence numbers and timestamps.
///
/// A picture forwarded after the last one gets the last output number plus how far the
/// sender's number moved, less the pictures the consumer dropped in between: a picture
/// the publisher's network lost still leaves its gap (the decoder must know), a picture
/// the consumer dropped does not. After a move, the next picture continues from the last
/// one sent. Until the first drop or move, numbers pass unchanged.
public struct PictureRenumbering: Sendable {
    /// Whether any picture was dropped or any stream moved to yet; until then nothing
    /// is rewritten.
    public private(set) var isRenumbering = false
    @usableFromInline var lastInput: UInt16 = 0
    @usableFromInline var lastOutput: UInt16 = 0
    @usableFromInline var lastTL0Input: UInt8 = 0
    @usableFromInline var lastTL0Output: UInt8 = 0
    @usableFromInline var hasForwarded = false
    @usableFromInline var hasTL0 = false
    /// Pictures dropped since the last one forwarded, and the newest of them.
    @usableFromInline var dropped: UInt16 = 0
    @usableFromInline var lastDropped: UInt16?
    @usableFromInline var pendingSwitch = false
    /// The last pictures forwarded, input to output, for their late packets and resends.
    @usableFromInline var recent: [(input: UInt16, output: UInt16, tl0Input: UInt8, tl0Output: UInt8)] = []

    public init() {}

    /// The numbers a forwarded packet of picture `layers` carries; `layers` with its
    /// numbers replaced. Unchanged while nothing was dropped or moved.
    @inlinable
    public mutating func forward(_ layers: PacketLayers) -> PacketLayers {
        guard self.isRenumbering else {
            if layers.pictureIDIndex != 0 {
                self.lastInput = layers.pictureID
                self.lastOutput = layers.pictureID
                self.hasForwarded = true
            }
            if layers.tl0PictureIndexIndex != 0 {
                self.lastTL0Input = layers.tl0PictureIndex
                self.lastTL0Output = layers.tl0PictureIndex
                self.hasTL0 = true
            }
            return layers
        }
        return self.renumber(layers)
    }

    /// The numbers a resent packet carries: those its picture was forwarded with, or
    /// `nil` when the picture is no longer known (it is not resent then).
    public func resent(_ layers: PacketLayers) -> PacketLayers? {
        guard self.isRenumbering, layers.pictureIDIndex != 0 else { return layers }
        let modulus = Self.modulus(layers)
        let input = layers.pictureID & (modulus - 1)
        if input == self.lastInput & (modulus - 1), self.hasForwarded {
            return self.renumbered(layers, picture: self.lastOutput, tl0: self.lastTL0Output)
        }
        guard let entry = self.recent.first(where: { $0.input == input }) else { return nil }
        return self.renumbered(layers, picture: entry.output, tl0: entry.tl0Output)
    }

    /// Notes that the consumer dropped a packet of picture `layers` (a frame above its
    /// temporal layer): the next picture forwarded takes its number.
    public mutating func drop(_ layers: PacketLayers) {
        guard layers.pictureIDIndex != 0 else { return }
        self.isRenumbering = true
        let modulus = Self.modulus(layers)
        let input = layers.pictureID & (modulus - 1)
        guard self.hasForwarded, input != self.lastDropped,
            Self.distance(from: self.lastInput, to: input, modulus: modulus) > 0
        else { return }
        self.lastDropped = input
        self.dropped &+= 1
    }

    /// Announces that the next picture comes from another stream: it continues from the
    /// last number sent.
    public mutating func switchSource() {
        guard self.hasForwarded || self.hasTL0 else { return }  // the first stream keeps its numbers
        self.isRenumbering = true
        self.pendingSwitch = true
        self.dropped = 0
        self.lastDropped = nil
        self.recent.removeAll(keepingCapacity: true)
    }

    @usableFromInline
    mutating func renumber(_ layers: PacketLayers) -> PacketLayers {
        var picture = self.lastOutput
        var tl0 = self.lastTL0Output
        if layers.pictureIDIndex != 0 {
            let modulus = Self.modulus(layers)
            let input = layers.pictureID & (modulus - 1)
            if self.pendingSwitch || !self.hasForwarded {
                picture = self.hasForwarded ? self.lastOutput &+ 1 : input
            } else {
                let distance = Self.distance(from: self.lastInput & (modulus - 1), to: input, modulus: modulus)
                if distance > 0 {
                    picture = self.lastOutput &+ UInt16(distance) &- self.dropped
                } else if distance < 0 {
                    // A late packet of an earlier picture: the number it was sent with.
                    return self.resent(layers) ?? layers
                }
            }
            picture &= 0x7FFF
            if picture != self.lastOutput || !self.hasForwarded || self.pendingSwitch {
                self.remember()
                self.lastInput = input
                self.lastOutput = picture
                self.dropped = 0
                self.lastDropped = nil
                self.hasForwarded = true
            }
        }
        if layers.tl0PictureIndexIndex != 0 {
            if self.pendingSwitch || !self.hasTL0 {
                tl0 = self.hasTL0 ? self.lastTL0Output &+ 1 : layers.tl0PictureIndex
            } else {
                tl0 = self.lastTL0Output &+ (layers.tl0PictureIndex &- self.lastTL0Input)
            }
            self.lastTL0Input = layers.tl0PictureIndex
            self.lastTL0Output = tl0
            self.hasTL0 = true
        }
        self.pendingSwitch = false
        return self.renumbered(layers, picture: picture, tl0: tl0)
    }

    /// Keeps the last picture's numbers for its late packets and resends.
    @usableFromInline
    mutating func remember() {
        guard self.hasForwarded else { return }
        if self.recent.count == Self.remembered { self.recent.removeFirst() }
        self.recent.append((self.lastInput, self.lastOutput, self.lastTL0Input, self.lastTL0Output))
    }

    /// How many earlier pictures it keeps numbers for: about a second of video.
    @usableFromInline static let remembered = 32

    @usableFromInline
    func renumbered(_ layers: PacketLayers, picture: UInt16, tl0: UInt8) -> PacketLayers {
        var layers = layers
        layers.pictureID = picture
        layers.tl0PictureIndex = tl0
        return layers
    }

    @usableFromInline
    static func modulus(_ layers: PacketLayers) -> UInt16 { layers.hasLongPictureID ? 0x8000 : 0x80 }

    /// The signed distance from `a` to `b` in a picture-id space of `modulus` numbers.
    @usableFromInline
    static func distance(from a: UInt16, to b: UInt16, modulus: UInt16) -> Int {
        let forward = Int((b &- a) & (modulus - 1))
        return forward < Int(modulus / 2) ? forward : forward - Int(modulus)
    }
}
