public import NIOCore

/// What a video packet's payload descriptor says of the frame it carries, read once per
/// packet for every consumer of its stream: its temporal layer, whether a decoder can
/// start there or step up to its layer there, and where its picture numbers are, so that
/// a consumer that drops frames or switches streams can renumber them in its copy.
///
/// Picture numbers (VP8 and VP9 picture id and TL0PICIDX) are counted per stream by the
/// sender; a decoder that sees a gap in them waits for the missing pictures. A consumer
/// that forwards some of a stream's frames, or moves to another stream, writes numbers
/// that run on without a gap (`PictureRenumbering`).
public struct PacketLayers: Sendable, Equatable {
    /// The temporal layer (VP8 TID, VP9 TID); 0 when the descriptor marks none.
    public var temporalLayer: UInt8
    /// Whether a decoder that has only the lower temporal layers can decode from this
    /// frame on (VP8 Y bit, VP9 U bit): where a consumer may step up to its layer.
    public var isLayerSync: Bool
    /// Whether the packet is the first of its frame.
    public var startsFrame: Bool
    /// Whether the packet starts a key frame.
    public var isKeyFrame: Bool
    /// The picture id (7 or 15 bits), valid when `pictureIDIndex` is not 0.
    public var pictureID: UInt16
    /// Where the picture id is in the payload; 0 when the descriptor has none (the
    /// descriptor's first byte never holds it).
    public var pictureIDIndex: UInt8
    /// Whether the picture id takes 15 bits (two bytes) rather than 7.
    public var hasLongPictureID: Bool
    /// The TL0PICIDX, valid when `tl0PictureIndexIndex` is not 0.
    public var tl0PictureIndex: UInt8
    /// Where the TL0PICIDX is in the payload; 0 when the descriptor has none.
    public var tl0PictureIndexIndex: UInt8
    /// The spatial layer inside the stream (VP9 SID: SVC's layers share one SSRC); 0
    /// when the descriptor marks none.
    public var spatialLayer: UInt8
    /// Whether the packet ends its spatial layer's frame (VP9 E bit): where a picture
    /// forwarded without its higher spatial layers ends.
    public var endsLayerFrame: Bool

    public init(isKeyFrame: Bool = false) {
        self.temporalLayer = 0
        self.isLayerSync = false
        self.startsFrame = isKeyFrame
        self.isKeyFrame = isKeyFrame
        self.pictureID = 0
        self.pictureIDIndex = 0
        self.hasLongPictureID = false
        self.tl0PictureIndex = 0
        self.tl0PictureIndexIndex = 0
        self.spatialLayer = 0
        self.endsLayerFrame = false
    }

    public init(_ descriptor: VP8PayloadDescriptor) {
        self.init(isKeyFrame: descriptor.isKeyFrame)
        self.temporalLayer = descriptor.temporalLayer ?? 0
        self.isLayerSync = descriptor.layerSync
        self.startsFrame = descriptor.isStartOfPartition && descriptor.partitionIndex == 0
        // The extension byte follows the first; the picture id, then TL0PICIDX, follow it.
        self.placePictureNumbers(
            descriptor.pictureID,
            isLong: descriptor.hasLongPictureID,
            at: 2,
            tl0: descriptor.tl0PictureIndex,
            tl0After: 0
        )
    }

    public init(_ descriptor: VP9PayloadDescriptor) {
        self.init(isKeyFrame: descriptor.isKeyFrame)
        self.temporalLayer = descriptor.temporalLayer ?? 0
        self.isLayerSync = descriptor.isSwitchingUpPoint
        self.startsFrame = descriptor.isBeginningOfFrame && (descriptor.spatialLayer ?? 0) == 0
        self.spatialLayer = descriptor.spatialLayer ?? 0
        self.endsLayerFrame = descriptor.isEndOfFrame
        // The picture id follows the first byte; in non-flexible mode, TL0PICIDX follows
        // the layer byte after it.
        self.placePictureNumbers(
            descriptor.pictureID,
            isLong: descriptor.hasLongPictureID,
            at: 1,
            tl0: descriptor.tl0PictureIndex,
            tl0After: 1
        )
    }

    /// Notes the picture id at `index` (when there is one) and the TL0PICIDX `tl0After`
    /// bytes after the picture id's end.
    mutating func placePictureNumbers(_ pictureID: UInt16?, isLong: Bool, at index: UInt8, tl0: UInt8?, tl0After: UInt8)
    {
        var end = index
        if let pictureID {
            self.pictureID = pictureID
            self.pictureIDIndex = index
            self.hasLongPictureID = isLong
            end += isLong ? 2 : 1
        }
        if let tl0 {
            self.tl0PictureIndex = tl0
            self.tl0PictureIndexIndex = end + tl0After
        }
    }

    /// Whether the descriptor carries picture numbers a consumer may have to renumber.
    @inlinable public var hasPictureNumbers: Bool { self.pictureIDIndex != 0 || self.tl0PictureIndexIndex != 0 }

    /// Writes this packet's picture numbers (as renumbered) into a copy of its payload
    /// that starts at `payloadStart` in `buffer`, in the field widths the sender chose (a
    /// 7-bit id modulo 128).
    @inlinable
    public func writePictureNumbers(into buffer: inout ByteBuffer, payloadStart: Int) {
        if self.pictureIDIndex != 0 {
            let index = payloadStart + Int(self.pictureIDIndex)
            if self.hasLongPictureID {
                buffer.setInteger(0x8000 | (self.pictureID & 0x7FFF), at: index)
            } else {
                buffer.setInteger(UInt8(truncatingIfNeeded: self.pictureID & 0x7F), at: index)
            }
        }
        if self.tl0PictureIndexIndex != 0 {
            buffer.setInteger(self.tl0PictureIndex, at: payloadStart + Int(self.tl0PictureIndexIndex))
        }
    }
}
