/// The VP9 payload descriptor (RFC 9628 §4.2), flexible and non-flexible modes.
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |I|P|L|F|B|E|V|Z| (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PICTURE ID  | (REQUIRED in flexible mode; 7 or 15 bits)
///      +-+-+-+-+-+-+-+-+
/// L:   | TID |U| SID |D| (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
///      |   TL0PICIDX   | (L and not F)
///      +-+-+-+-+-+-+-+-+                             -\
/// P,F: | P_DIFF      |N| (up to 3 times)              |
///      +-+-+-+-+-+-+-+-+                             -/
/// V:   | SS            | (scalability structure)
///      +-+-+-+-+-+-+-+-+
/// ```
/// A packet starts a key frame when it is not inter-predicted (P = 0), begins a frame
/// (B = 1) and belongs to the base spatial layer.
public struct VP9PayloadDescriptor: Equatable, Sendable {
    public var isInterPredicted: Bool
    public var isFlexibleMode: Bool
    public var isBeginningOfFrame: Bool
    public var isEndOfFrame: Bool
    public var hasScalabilityStructure: Bool
    public var isNotReferenceForUpperSpatialLayers: Bool
    public var pictureID: UInt16?
    public var hasLongPictureID: Bool
    public var temporalLayer: UInt8?
    public var isSwitchingUpPoint: Bool
    public var spatialLayer: UInt8?
    public var isInterLayerDependent: Bool
    public var tl0PictureIndex: UInt8?
    public var referenceDifferences: [UInt8]
    /// Spatial layer sizes from the scalability structure, when it carries them.
    public var resolutions: [(width: UInt16, height: UInt16)]
    /// Length of the descriptor in bytes.
    public var length: Int

    public var isKeyFrame: Bool {
        !self.isInterPredicted && self.isBeginningOfFrame && (self.spatialLayer ?? 0) == 0
    }

    public init(validating payload: UnsafeRawBufferPointer) throws(CodecParseError) {
        guard let b0 = payload.first else { throw .emptyPayload }
        var reader = PayloadReader(payload, from: 1)
        self.isInterPredicted = b0 & 0x40 != 0
        self.isFlexibleMode = b0 & 0x10 != 0
        self.isBeginningOfFrame = b0 & 0x08 != 0
        self.isEndOfFrame = b0 & 0x04 != 0
        self.hasScalabilityStructure = b0 & 0x02 != 0
        self.isNotReferenceForUpperSpatialLayers = b0 & 0x01 != 0
        self.pictureID = nil
        self.hasLongPictureID = false
        self.temporalLayer = nil
        self.isSwitchingUpPoint = false
        self.spatialLayer = nil
        self.isInterLayerDependent = false
        self.tl0PictureIndex = nil
        self.referenceDifferences = []
        self.resolutions = []
        if b0 & 0x80 != 0 {
            let picture = try reader.pictureID()
            self.pictureID = picture.id
            self.hasLongPictureID = picture.isLong
        }
        if b0 & 0x20 != 0 {
            let layer = try reader.next()
            self.temporalLayer = layer >> 5
            self.isSwitchingUpPoint = layer & 0x10 != 0
            self.spatialLayer = (layer >> 1) & 0x07
            self.isInterLayerDependent = layer & 0x01 != 0
            if !self.isFlexibleMode { self.tl0PictureIndex = try reader.next() }
        }
        if self.isFlexibleMode && self.isInterPredicted {
            for _ in 0..<3 {
                let diff = try reader.next()
                self.referenceDifferences.append(diff >> 1)
                if diff & 0x01 == 0 { break }
            }
        }
        if self.hasScalabilityStructure {
            let ss = try reader.next()
            let spatialLayers = Int(ss >> 5) + 1
            if ss & 0x10 != 0 {
                for _ in 0..<spatialLayers {
                    let width = UInt16(try reader.next()) << 8 | UInt16(try reader.next())
                    let height = UInt16(try reader.next()) << 8 | UInt16(try reader.next())
                    self.resolutions.append((width, height))
                }
            }
            if ss & 0x08 != 0 {
                let groups = try reader.next()
                for _ in 0..<groups {
                    let picture = try reader.next()
                    for _ in 0..<((picture >> 2) & 0x03) { _ = try reader.next() }
                }
            }
        }
        self.length = reader.index
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.length == rhs.length && lhs.pictureID == rhs.pictureID && lhs.spatialLayer == rhs.spatialLayer
            && lhs.temporalLayer == rhs.temporalLayer && lhs.isKeyFrame == rhs.isKeyFrame
            && lhs.tl0PictureIndex == rhs.tl0PictureIndex && lhs.referenceDifferences == rhs.referenceDifferences
            && lhs.resolutions.elementsEqual(rhs.resolutions, by: { $0 == $1 })
    }
}
