/// H.264's Annex B byte stream, as the recorder writes access units: NAL units each after
/// a start code (`00 00 01`, or `00 00 00 01`).
enum AnnexB {
    /// Where each NAL unit of `data` lies, its header byte first, without start codes.
    static func units(in data: [UInt8]) -> [Range<Int>] {
        var starts: [(code: Int, unit: Int)] = []
        var index = 0
        while index + 3 <= data.count {
            if data[index] == 0, data[index + 1] == 0, data[index + 2] == 1 {
                starts.append((index > 0 && data[index - 1] == 0 ? index - 1 : index, index + 3))
                index += 3
            } else {
                index += 1
            }
        }
        return starts.enumerated().compactMap { position, start in
            let end = position + 1 < starts.count ? starts[position + 1].code : data.count
            return start.unit < end ? start.unit..<end : nil
        }
    }

    /// The type of the NAL unit at `range` (ITU-T H.264 §7.4.1: 5 an IDR slice, 7 an SPS,
    /// 8 a PPS).
    static func type(of range: Range<Int>, in data: [UInt8]) -> UInt8 { data[range.lowerBound] & 0x1F }
}
