// Fuzzes the check of a STUN binding request the server answers itself (ICE's
// BindingResponder). An answered request must give a success response for its own
// transaction, whose length field is its length.
import FuzzSupport
import Glibc
import ICE

// RFC 5769's credentials: the seed corpus holds its sample request, which is answered.
let responder = BindingResponder(localUfrag: "evtj", localPassword: "VOkJxbRl1RmTxUk/WvJxBt", remoteUfrag: "h6vY")
var source = sockaddr_storage()
withUnsafeMutableBytes(of: &source) { raw in
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(32853).bigEndian
    address.sin_addr.s_addr = UInt32(0xC000_0201).bigEndian
    raw.storeBytes(of: address, as: sockaddr_in.self)
}
nonisolated(unsafe) var response: [UInt8] = []

runFuzzer { bytes in
    guard (try? responder.answer(bytes, from: source, into: &response)) != nil else { return }
    precondition(response.count >= 20 && response[0] == 0x01 && response[1] == 0x01, "a success response")
    precondition(Int(response[2]) << 8 | Int(response[3]) == response.count - 20, "its length field")
    precondition(response[4..<20].elementsEqual(bytes[4..<20]), "its transaction")
}
