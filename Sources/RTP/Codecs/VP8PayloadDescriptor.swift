import NIOCore

/// The VP8 payload descriptor (RFC 7741 §4.2) at the start of each VP8 RTP payload.
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
///      +-+-+-+-+-+-+-+-+
/// L:   |   TL0PICIDX   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// ```
/// The first byte after the descriptor of a partition start is the VP8 payload header,
/// whose lowest bit P is 0 on a key frame (RFC 7741 §4.3).
public struct VP8PayloadDescriptor: Equatable, Sendable {
    public var isNonReference: Bool
    public var isStartOfPartition: Bool
    public var partitionIndex: UInt8
    /// 7- or 15-bit picture id, when present.
    public var pictureID: UInt16?
    /// Whether the picture id uses the 15-bit form (M bit).
    public var hasLongPictureID: Bool
    public var tl0PictureIndex: UInt8?
    /// Temporal layer index, when the T bit is set.
    public var temporalLayer: UInt8?
    public var layerSync: Bool
    public var keyIndex: UInt8?
    /// Length of the descriptor in bytes: where the VP8 payload starts.
    public var length: Int
    /// Whether this packet starts a key frame.
    public var isKeyFrame: Bool

    /// Parses the descriptor at the start of `payload`.
    public init(validating payload: UnsafeRawBufferPointer) throws(CodecParseError) {
        guard let b0 = payload.first else { throw .emptyPayload }
        var reader = PayloadReader(payload, from: 1)
        self.isNonReference = b0 & 0x20 != 0
        self.isStartOfPartition = b0 & 0x10 != 0
        self.partitionIndex = b0 & 0x07
        self.pictureID = nil
        self.hasLongPictureID = false
        self.tl0PictureIndex = nil
        self.temporalLayer = nil
        self.layerSync = false
        self.keyIndex = nil
        if b0 & 0x80 != 0 {
            let x = try reader.next()
            if x & 0x80 != 0 {
                let picture = try reader.pictureID()
                self.pictureID = picture.id
                self.hasLongPictureID = picture.isLong
            }
            if x & 0x40 != 0 { self.tl0PictureIndex = try reader.next() }
            if x & 0x30 != 0 {
                let t = try reader.next()
                if x & 0x20 != 0 {
                    self.temporalLayer = t >> 6
                    self.layerSync = t & 0x20 != 0
                }
                if x & 0x10 != 0 { self.keyIndex = t & 0x1F }
            }
        }
        let index = reader.index
        self.length = index
        self.isKeyFrame =
            self.isStartOfPartition && self.partitionIndex == 0 && index < payload.count
            && payload[index] & 0x01 == 0
    }

    /// Parses the descriptor at the start of an RTP packet's payload.
    public init(validating packet: RTPPacket) throws(CodecParseError) {
        let result = packet.withPayloadBytes { bytes in
            Result { () throws(CodecParseError) in try Self(validating: bytes) }
        }
        self = try result.get()
    }
}
