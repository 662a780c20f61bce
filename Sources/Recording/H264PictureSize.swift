/// The picture size an H.264 sequence parameter set states (ITU-T H.264 §7.3.2.1.1): the
/// width and height in macroblocks, less the cropping. The muxer needs it before the
/// first frame.
enum H264PictureSize {
    /// The size the first SPS of an Annex B access unit states, or nil when it has none
    /// or it does not parse.
    static func of(accessUnit data: [UInt8]) -> (width: Int, height: Int)? {
        guard let sps = AnnexB.units(in: data).first(where: { AnnexB.type(of: $0, in: data) == 7 }) else { return nil }
        return Self.of(sequenceParameterSet: Array(data[(sps.lowerBound + 1)..<sps.upperBound]))
    }

    /// The size an SPS's payload (after its NAL header byte) states.
    static func of(sequenceParameterSet raw: [UInt8]) -> (width: Int, height: Int)? {
        // Emulation prevention: 00 00 03 is 00 00.
        var bytes: [UInt8] = []
        var zeros = 0
        for byte in raw {
            if zeros >= 2, byte == 3 {
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            bytes.append(byte)
        }
        var reader = BitReader(bytes)
        guard let profile = reader.bits(8), reader.bits(16) != nil, reader.unsigned() != nil else { return nil }
        var chromaFormat = 1
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let format = reader.unsigned() else { return nil }
            chromaFormat = format
            if format == 3 { _ = reader.bits(1) }
            guard reader.unsigned() != nil, reader.unsigned() != nil, reader.bits(1) != nil,
                let scaling = reader.bits(1)
            else { return nil }
            // Scaling matrices: browsers send none; skipping them needs the lists' deltas.
            guard scaling == 0 else { return nil }
        }
        guard reader.unsigned() != nil, let orderType = reader.unsigned() else { return nil }
        if orderType == 0 {
            guard reader.unsigned() != nil else { return nil }
        } else if orderType == 1 {
            guard reader.bits(1) != nil, reader.signed() != nil, reader.signed() != nil,
                let cycle = reader.unsigned(), cycle < 256
            else { return nil }
            for _ in 0..<cycle { guard reader.signed() != nil else { return nil } }
        }
        guard reader.unsigned() != nil, reader.bits(1) != nil, let widthInMacroblocks = reader.unsigned(),
            let heightInUnits = reader.unsigned(), let frameMacroblocksOnly = reader.bits(1)
        else { return nil }
        if frameMacroblocksOnly == 0 { _ = reader.bits(1) }
        guard reader.bits(1) != nil, let cropping = reader.bits(1) else { return nil }
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if cropping == 1 {
            guard let left = reader.unsigned(), let right = reader.unsigned(), let top = reader.unsigned(),
                let bottom = reader.unsigned()
            else { return nil }
            crop = (left, right, top, bottom)
        }
        let cropX = chromaFormat == 1 || chromaFormat == 2 ? 2 : 1
        let cropY = (chromaFormat == 1 ? 2 : 1) * (2 - frameMacroblocksOnly)
        let width = (widthInMacroblocks + 1) * 16 - cropX * (crop.left + crop.right)
        let height = (2 - frameMacroblocksOnly) * (heightInUnits + 1) * 16 - cropY * (crop.top + crop.bottom)
        guard width > 0, height > 0, width <= 16_384, height <= 16_384 else { return nil }
        return (width, height)
    }
}
