// Fuzzes the RTCP compound parser and every packet type it dispatches to. Each packet
// that parses must write bytes that parse again and write the same bytes (writing may
// normalize once: a NACK that lists a number twice is written with it once).
import FuzzSupport
import NIOCore
import RTP

runFuzzer { bytes in
    var iterator = RTCPCompoundIterator(ByteBuffer(bytes: bytes))
    while let packet = try? iterator.next() {
        if case .opaque = packet { continue }
        var out = ByteBuffer()
        packet.write(into: &out)
        precondition(out.readableBytes == packet.encodedLength, "encodedLength must match what is written")
        guard let again = try? RTCPPacket(validating: out) else { preconditionFailure("a written packet must parse") }
        var rewritten = ByteBuffer()
        again.write(into: &rewritten)
        precondition(rewritten == out, "writing must be stable after one parse")
    }
}
