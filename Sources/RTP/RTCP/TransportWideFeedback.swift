public import NIOCore

/// Transport-wide congestion-control feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): RTPFB (PT = 205), FMT = 15.
///
/// ```
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// |                     SSRC of packet sender                     |
/// |                      SSRC of media source                     |
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// :                              ...                              :
/// |         packet chunk          |  recv delta   |  recv delta   |
/// :                              ...                              :
/// ```
/// Chunks are run-length (`0|S S|run length (13)`) or status vectors
/// (`1|0|14 one-bit symbols` or `1|1|7 two-bit symbols`). Symbols: 0 not received,
/// 1 received with a 1-byte unsigned delta, 2 received with a 2-byte signed delta.
/// Deltas count 250 µs ticks; the reference time counts 64 ms.
public struct TransportWideFeedback: Equatable, Sendable {
    public var senderSSRC: SSRC
    public var mediaSSRC: SSRC
    public var baseSequenceNumber: UInt16
    /// Signed 24-bit reference time in multiples of 64 ms.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    /// One entry per packet from the base on: its receive delta in 250 µs ticks
    /// relative to the previous received packet, or `nil` when it was not received.
    public var receiveDeltas: [Int16?]

    public init(
        senderSSRC: SSRC,
        mediaSSRC: SSRC,
        baseSequenceNumber: UInt16,
        referenceTime: Int32,
        feedbackPacketCount: UInt8,
        receiveDeltas: [Int16?]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.receiveDeltas = receiveDeltas
    }

    public init(validating packet: ByteBuffer) throws(RTCPParseError) {
        let feedback = try FeedbackHeader(
            validating: packet,
            packetType: RTCPHeader.transportFeedback,
            format: FeedbackHeader.transportWideFormat
        )
        var fci = feedback.fci
        self.senderSSRC = feedback.senderSSRC
        self.mediaSSRC = feedback.mediaSSRC
        self.baseSequenceNumber = try fci.readInteger(or: .malformedTransportFeedback)
        let count = Int(try fci.readInteger(or: .malformedTransportFeedback) as UInt16)
        let word: UInt32 = try fci.readInteger(or: .malformedTransportFeedback)
        self.referenceTime = Int32(bitPattern: word & 0xFFFF_FF00) >> 8  // sign-extend 24 bits
        self.feedbackPacketCount = UInt8(word & 0xFF)
        let symbols = try Self.readSymbols(count: count, from: &fci)
        self.receiveDeltas = []
        self.receiveDeltas.reserveCapacity(count)
        for symbol in symbols {
            switch symbol {
            case 0: self.receiveDeltas.append(nil)
            case 1: self.receiveDeltas.append(Int16(try fci.readInteger(or: .malformedTransportFeedback) as UInt8))
            default: self.receiveDeltas.append(try fci.readInteger(or: .malformedTransportFeedback) as Int16)
            }
        }
    }

    static func readSymbols(count: Int, from fci: inout ByteBuffer) throws(RTCPParseError) -> [UInt8] {
        var symbols: [UInt8] = []
        symbols.reserveCapacity(count)
        while symbols.count < count {
            let chunk: UInt16 = try fci.readInteger(or: .malformedTransportFeedback)
            if chunk & 0x8000 == 0 {
                let symbol = UInt8(chunk >> 13 & 0x03)
                guard symbol != 3 else { throw .malformedTransportFeedback }
                let run = min(Int(chunk & 0x1FFF), count - symbols.count)
                symbols.append(contentsOf: repeatElement(symbol, count: run))
            } else if chunk & 0x4000 == 0 {
                for bit in (0..<14).reversed() where symbols.count < count {
                    symbols.append(UInt8(chunk >> bit & 0x01))
                }
            } else {
                for slot in (0..<7).reversed() where symbols.count < count {
                    let symbol = UInt8(chunk >> (2 * slot) & 0x03)
                    guard symbol != 3 else { throw .malformedTransportFeedback }
                    symbols.append(symbol)
                }
            }
        }
        return symbols
    }

    static func symbol(for delta: Int16?) -> UInt8 {
        guard let delta else { return 0 }
        return (0...255).contains(delta) ? 1 : 2
    }

    /// The packet chunks that encode the statuses: run-length for runs of 7 or more,
    /// one-bit vectors where no large delta is near, two-bit vectors otherwise.
    var chunks: [UInt16] {
        let symbols = self.receiveDeltas.map(Self.symbol(for:))
        var chunks: [UInt16] = []
        var index = 0
        while index < symbols.count {
            var run = 1
            while index + run < symbols.count, symbols[index + run] == symbols[index], run < 0x1FFF { run += 1 }
            if run >= 7 {
                chunks.append(UInt16(symbols[index]) << 13 | UInt16(run))
                index += run
                continue
            }
            let window = symbols[index..<min(index + 14, symbols.count)]
            if window.allSatisfy({ $0 <= 1 }) {
                var chunk: UInt16 = 0x8000
                for (slot, symbol) in window.enumerated() { chunk |= UInt16(symbol) << (13 - slot) }
                chunks.append(chunk)
                index += window.count
            } else {
                let window = symbols[index..<min(index + 7, symbols.count)]
                var chunk: UInt16 = 0xC000
                for (slot, symbol) in window.enumerated() { chunk |= UInt16(symbol) << (2 * (6 - slot)) }
                chunks.append(chunk)
                index += window.count
            }
        }
        return chunks
    }

    var deltaBytes: Int {
        self.receiveDeltas.reduce(0) { $0 + Int(Self.symbol(for: $1)) }
    }

    public var encodedLength: Int {
        (20 + 2 * self.chunks.count + self.deltaBytes + 3) / 4 * 4
    }

    public func write(into out: inout ByteBuffer) {
        precondition(self.receiveDeltas.count <= 0xFFFF, "at most 65535 packet statuses")
        let chunks = self.chunks
        let unpadded = 20 + 2 * chunks.count + self.deltaBytes
        let length = (unpadded + 3) / 4 * 4
        let padding = length - unpadded
        out.writeInteger(UInt8(0x80 | (padding > 0 ? 0x20 : 0) | FeedbackHeader.transportWideFormat))
        out.writeInteger(RTCPHeader.transportFeedback)
        out.writeInteger(UInt16(length / 4 - 1))
        out.writeInteger(self.senderSSRC)
        out.writeInteger(self.mediaSSRC)
        out.writeInteger(self.baseSequenceNumber)
        out.writeInteger(UInt16(self.receiveDeltas.count))
        out.writeInteger(UInt32(bitPattern: self.referenceTime) << 8 | UInt32(self.feedbackPacketCount))
        for chunk in chunks { out.writeInteger(chunk) }
        for delta in self.receiveDeltas {
            guard let delta else { continue }
            if Self.symbol(for: delta) == 1 {
                out.writeInteger(UInt8(delta))
            } else {
                out.writeInteger(delta)
            }
        }
        if padding > 0 {
            out.writeRepeatingByte(0, count: padding - 1)
            out.writeInteger(UInt8(padding))
        }
    }
}
