// Fuzzes the RTCP compound parser and every packet type it dispatches to. Each packet
// that parses must write bytes that parse again and write the same bytes (writing may
// normalize once: a NACK that lists a number twice is written with it once).
import Foundation
import NIOCore
import RTP

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let datagram = ByteBuffer(bytes: UnsafeRawBufferPointer(start: data, count: size))
        var iterator = RTCPCompoundIterator(datagram)
        while let packet = try? iterator.next() {
            if case .opaque = packet { continue }
            var out = ByteBuffer()
            packet.write(into: &out)
            precondition(out.readableBytes == packet.encodedLength, "encodedLength must match what is written")
            guard let again = try? RTCPPacket(validating: out) else {
                preconditionFailure("a written packet must parse")
            }
            var rewritten = ByteBuffer()
            again.write(into: &rewritten)
            precondition(rewritten == out, "writing must be stable after one parse")
        }
        return 0
    }
)
