import DTLS
import Foundation
import Testing

/// Known answers from RFC 2202 (HMAC-SHA-1) and RFC 4231 (HMAC-SHA-256).
@Suite struct MessageAuthenticationTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func knownAnswers() {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        #expect(
            Self.hex(MessageAuthentication.code(.sha1, key: key, message: message))
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        )
        #expect(
            Self.hex(MessageAuthentication.code(.sha256, key: key, message: message))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
        // RFC 4231 test case 6: a key longer than the block size is hashed first.
        let long = [UInt8](repeating: 0xaa, count: 131)
        let text = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        #expect(
            Self.hex(MessageAuthentication.code(.sha256, key: long, message: text))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        )
        #expect(MessageAuthentication.code(.sha256, key: [], message: []).count == 32)
    }
}
