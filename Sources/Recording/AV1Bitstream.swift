/// AV1 OBUs between RTP (the AV1 RTP specification: OBUs without their size field, in
/// elements behind an aggregation header) and the files (the low-overhead bitstream
/// format Matroska and WebM hold: every OBU with its size field, no temporal delimiter).
enum AV1Bitstream {
    enum OBUType: UInt8 {
        case sequenceHeader = 1
        case temporalDelimiter = 2
        case tileList = 8
        case padding = 15
    }

    /// A packet's OBU elements: whether the first continues an OBU of the packet before
    /// (Z), whether the last goes on in the next (Y), and each element's bytes. Nil when the
    /// lengths run past the payload.
    static func elements(
        of payload: Slice<UnsafeRawBufferPointer>
    ) -> (continues: Bool, goesOn: Bool, startsSequence: Bool, elements: [Range<Int>])? {
        guard let header = payload.first else { return nil }
        let count = Int(header >> 4 & 0x03)
        var index = payload.startIndex + 1
        var elements: [Range<Int>] = []
        while index < payload.endIndex {
            // W = 0: every element has its length; otherwise W elements, the last without.
            let length: Int
            if count == 0 || elements.count < count - 1 {
                guard let (value, size) = Self.leb128(payload, at: index) else { return nil }
                index += size
                length = value
            } else {
                length = payload.endIndex - index
            }
            guard length <= payload.endIndex - index else { return nil }
            elements.append(index..<(index + length))
            index += length
            if count != 0, elements.count == count { break }
        }
        return (header & 0x80 != 0, header & 0x40 != 0, header & 0x08 != 0, elements)
    }

    /// An unsigned LEB128 number at `index` and how many bytes it took (at most 8).
    static func leb128<C: Collection>(_ bytes: C, at index: C.Index) -> (value: Int, size: Int)?
    where C.Element == UInt8 {
        var value = 0
        var position = index
        for size in 1...8 {
            guard position < bytes.endIndex else { return nil }
            let byte = bytes[position]
            value |= Int(byte & 0x7F) << (7 * (size - 1))
            if byte & 0x80 == 0 { return (value, size) }
            position = bytes.index(after: position)
        }
        return nil
    }

    static func appendLEB128(_ value: Int, to data: inout [UInt8]) {
        var rest = value
        repeat {
            let byte = UInt8(rest & 0x7F)
            rest >>= 7
            data.append(rest == 0 ? byte : byte | 0x80)
        } while rest != 0
    }

    /// Appends one whole OBU as it came over RTP (its size field, when it has one, is
    /// kept) in the low-overhead format. Temporal delimiters, tile lists and padding are
    /// left out. Returns its type; nil when it is malformed (shorter than its header, or
    /// a size field that does not match its length), and nothing is appended.
    @discardableResult
    static func appendLowOverhead(_ obu: [UInt8], to data: inout [UInt8]) -> UInt8? {
        guard let header = obu.first else { return nil }
        let type = header >> 3 & 0x0F
        let headerSize = header & 0x04 != 0 ? 2 : 1
        guard obu.count >= headerSize else { return nil }
        if header & 0x02 != 0 {
            guard let (length, size) = Self.leb128(obu, at: headerSize), headerSize + size + length == obu.count else {
                return nil
            }
        }
        if [OBUType.temporalDelimiter, .tileList, .padding].contains(where: { $0.rawValue == type }) { return type }
        if header & 0x02 != 0 {
            data += obu
            return type
        }
        data.append(header | 0x02)
        if headerSize == 2 { data.append(obu[1]) }
        Self.appendLEB128(obu.count - headerSize, to: &data)
        data += obu[headerSize...]
        return type
    }

    /// The OBUs of a temporal unit in the low-overhead format: each OBU's range, whole.
    static func obus(in data: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var index = 0
        while index < data.count {
            let header = data[index]
            let headerSize = header & 0x04 != 0 ? 2 : 1
            guard header & 0x02 != 0, let (length, size) = Self.leb128(data, at: index + headerSize) else { break }
            let end = index + headerSize + size + length
            guard end <= data.count else { break }
            out.append(index..<end)
            index = end
        }
        return out
    }

    /// The sequence header OBU of a temporal unit, whole (for the codec's private data).
    static func sequenceHeader(in data: [UInt8]) -> [UInt8]? {
        Self.obus(in: data).first { data[$0.lowerBound] >> 3 & 0x0F == OBUType.sequenceHeader.rawValue }
            .map { Array(data[$0]) }
    }

    /// The largest picture a sequence header allows (AV1 §5.5: `max_frame_width_minus_1`
    /// and `max_frame_height_minus_1`, after the profile, the timing and decoder model
    /// information and the operating points).
    static func pictureSize(in data: [UInt8]) -> (width: Int, height: Int)? {
        guard let obu = Self.sequenceHeader(in: data) else { return nil }
        let headerSize = obu[0] & 0x04 != 0 ? 2 : 1
        guard let (_, size) = Self.leb128(obu, at: headerSize) else { return nil }
        var reader = BitReader(obu, bit: (headerSize + size) * 8)
        do {
            _ = try reader.read(3)  // seq_profile
            _ = try reader.read(1)  // still_picture
            if try reader.read(1) == 1 {
                _ = try reader.read(5)  // reduced_still_picture_header: seq_level_idx[0]
            } else {
                var decoderModel = false
                var bufferDelayLength = 0
                if try reader.read(1) == 1 {
                    // timing_info: num_units_in_display_tick, time_scale, then
                    // num_ticks_per_picture_minus_1 (uvlc) when the interval is equal.
                    _ = try reader.read(32)
                    _ = try reader.read(32)
                    if try reader.read(1) == 1, reader.unsigned() == nil { return nil }
                    decoderModel = try reader.read(1) == 1
                    if decoderModel {
                        bufferDelayLength = try reader.read(5) + 1
                        _ = try reader.read(32)  // num_units_in_decoding_tick
                        _ = try reader.read(10)  // buffer_removal_time and frame_presentation_time lengths
                    }
                }
                let initialDisplayDelay = try reader.read(1) == 1
                let operatingPoints = try reader.read(5) + 1
                for _ in 0..<operatingPoints {
                    _ = try reader.read(12)  // operating_point_idc
                    if try reader.read(5) > 7 { _ = try reader.read(1) }  // seq_level_idx, seq_tier
                    if decoderModel, try reader.read(1) == 1 {
                        // decoder_buffer_delay, encoder_buffer_delay, low_delay_mode_flag
                        _ = try reader.read(bufferDelayLength)
                        _ = try reader.read(bufferDelayLength)
                        _ = try reader.read(1)
                    }
                    if initialDisplayDelay, try reader.read(1) == 1 { _ = try reader.read(4) }
                }
            }
            let widthBits = try reader.read(4) + 1
            let heightBits = try reader.read(4) + 1
            return (try reader.read(widthBits) + 1, try reader.read(heightBits) + 1)
        } catch {
            return nil
        }
    }
}
