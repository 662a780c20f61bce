import Foundation
import Glibc
import TestSupport
import Testing

@testable import ICE

/// The selected pair's binding requests answered around libnice (`BindingResponder`):
/// against RFC 5769's test vectors, against bad input, and on a connected pair.
@Suite struct BindingResponderTests {
    static func bytes(_ hex: String) -> [UInt8] {
        guard let bytes = [UInt8](hex: hex) else { preconditionFailure("bad hex literal: \(hex)") }
        return bytes
    }

    /// RFC 5769 §2.1: a request with SOFTWARE ("STUN test client"), PRIORITY,
    /// ICE-CONTROLLED, USERNAME "evtj:h6vY", MESSAGE-INTEGRITY and FINGERPRINT.
    static let sampleRequest = bytes(
        """
        000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74
        002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020
        000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf
        """
    )
    /// RFC 5769 §2.2: the IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
    static let sampleResponse = bytes(
        """
        0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
        80280004c07d4c96
        """
    )
    /// A responder has its own HMAC context: one per use, as each agent has its own.
    static var responder: BindingResponder {
        BindingResponder(localUfrag: "evtj", localPassword: "VOkJxbRl1RmTxUk/WvJxBt", remoteUfrag: "h6vY")
    }

    static func source(_ address: String, _ port: UInt16) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            inet_pton(AF_INET, address, &v4.sin_addr)
            raw.storeBytes(of: v4, as: sockaddr_in.self)
        }
        return storage
    }

    func answer(
        _ request: [UInt8],
        _ responder: BindingResponder = Self.responder
    ) throws(BindingResponder.Refusal)
        -> [UInt8]
    {
        var response: [UInt8] = []
        let source = Self.source("192.0.2.1", 32853)
        let result = request.withUnsafeBytes { bytes in
            Result { () throws(BindingResponder.Refusal) in try responder.answer(bytes, from: source, into: &response) }
        }
        try result.get()
        return response
    }

    @Test func answersTheRFC5769SampleRequest() throws {
        let response = try self.answer(Self.sampleRequest)
        #expect(response[0..<2] == [0x01, 0x01])
        #expect(Int(response[2]) << 8 | Int(response[3]) == response.count - 20)
        #expect(response[4..<20] == Self.sampleRequest[4..<20], "cookie and transaction ID")
        // XOR-MAPPED-ADDRESS as RFC 5769's response encodes 192.0.2.1:32853.
        #expect(response[20..<32] == Self.sampleResponse[36..<48])
        // MESSAGE-INTEGRITY and FINGERPRINT close it.
        #expect(response[32..<36] == [0x00, 0x08, 0x00, 0x14])
        #expect(response[56..<60] == [0x80, 0x28, 0x00, 0x04])
        #expect(response.count == 64)
    }

    /// The integrity and fingerprint the responder writes are RFC 5769's for its response.
    @Test func integrityAndFingerprintReproduceTheRFC5769Response() {
        let response = Self.sampleResponse
        response.withUnsafeBytes { bytes in
            let integrityAt = 48
            let code = Self.responder.integrity(of: bytes, upTo: integrityAt, messageLength: integrityAt + 24 - 20)
            #expect(code[...] == response[(integrityAt + 4)..<(integrityAt + 24)])
            let fingerprintAt = 72
            let fingerprint = BindingResponder.fingerprint(of: bytes, upTo: fingerprintAt, messageLength: nil)
            #expect(fingerprint == BindingResponder.uint32(bytes, fingerprintAt + 4))
        }
    }

    @Test func refusesWhatDoesNotCheckOut() {
        var tampered = Self.sampleRequest
        tampered[44] ^= 0x01  // PRIORITY's value
        #expect(throws: BindingResponder.Refusal.integrityMismatch) { try self.answer(tampered) }
        var badFingerprint = Self.sampleRequest
        badFingerprint[badFingerprint.count - 1] ^= 0x01
        #expect(throws: BindingResponder.Refusal.fingerprintMismatch) { try self.answer(badFingerprint) }
        let stranger = BindingResponder(localUfrag: "evtj", localPassword: "VOkJxbRl1RmTxUk/WvJxBt", remoteUfrag: "x")
        #expect(throws: BindingResponder.Refusal.wrongUsername) { try self.answer(Self.sampleRequest, stranger) }
        let wrongPassword = BindingResponder(localUfrag: "evtj", localPassword: "other", remoteUfrag: "h6vY")
        #expect(throws: BindingResponder.Refusal.integrityMismatch) {
            try self.answer(Self.sampleRequest, wrongPassword)
        }
        var indication = Self.sampleRequest
        indication[1] = 0x11
        #expect(throws: BindingResponder.Refusal.notABindingRequest) { try self.answer(indication) }
        // The request up to its USERNAME only: no integrity.
        var unsigned = Array(Self.sampleRequest[0..<76])
        unsigned[3] = 56
        #expect(throws: BindingResponder.Refusal.noIntegrity) { try self.answer(unsigned) }
    }

    /// Every truncation and byte flip of the sample request is refused or answered,
    /// never a trap; a flip the request does not cover (the padding) may be answered.
    @Test func mutatedRequestsNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<Self.sampleRequest.count {
            #expect(throws: BindingResponder.Refusal.self) { try self.answer(Array(Self.sampleRequest[0..<length])) }
        }
        var answered = 0
        for _ in 0..<5_000 {
            var request = Self.sampleRequest
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                request[Int.random(in: 0..<request.count, using: &generator)] = UInt8.random(
                    in: 0...255,
                    using: &generator
                )
            }
            if (try? self.answer(request)) != nil { answered += 1 }
        }
        #expect(answered < 50, "a flip outside the signed bytes is rare")
    }

    /// A request `to` agent `b` from `a`, signed with `b`'s password.
    static func request(
        from a: (ufrag: String, pwd: String),
        to b: (ufrag: String, pwd: String),
        transaction: UInt8
    )
        -> [UInt8]
    {
        var message: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42]
        message += [UInt8](repeating: transaction, count: 12)
        let username = Array("\(b.ufrag):\(a.ufrag)".utf8)
        BindingResponder.append16(0x0006, to: &message)
        BindingResponder.append16(UInt16(username.count), to: &message)
        message += username + [UInt8](repeating: 0, count: (4 - username.count % 4) % 4)
        let integrityAt = message.count
        BindingResponder.setLength(integrityAt + 24 - 20, of: &message)
        let signer = BindingResponder(localUfrag: b.ufrag, localPassword: b.pwd, remoteUfrag: a.ufrag)
        let code = message.withUnsafeBytes { signer.integrity(of: $0, upTo: integrityAt, messageLength: nil) }
        BindingResponder.append16(0x0008, to: &message)
        BindingResponder.append16(20, to: &message)
        message += code
        return message
    }

    /// On a connected pair: the selected remote's requests are answered by the agent on
    /// the RTP socket, not libnice; after an ICE restart libnice takes them again until
    /// a pair is selected with the new credentials.
    @Test func theSelectedRemotesRequestsAreAnsweredAroundLibnice() throws {
        let (pair, _) = try RTPSocketTests.connected()
        defer { pair.close() }
        #expect(try pair.onB { $0.bindingResponder != nil })
        let a = try pair.onA { $0.localCredentials }
        let b = try pair.onB { $0.localCredentials }
        for transaction in 0..<20 {
            let request = Self.request(from: a, to: b, transaction: UInt8(transaction))
            #expect(try pair.onA { agent in request.withUnsafeBytes { agent.send($0) } })
        }
        // At least these 20: libnice's own checks from `a` may come on the pair as well.
        #expect(Polling.until(limit: .seconds(5)) { (try? pair.onB { $0.answeredBindingRequests }) ?? 0 >= 20 })
        let wrong = Self.request(from: a, to: (b.ufrag, "not the password"), transaction: 99)
        #expect(try pair.onA { agent in wrong.withUnsafeBytes { agent.send($0) } })
        #expect(Polling.until(limit: .seconds(5)) { (try? pair.onB { $0.refusedBindingRequests }) == 1 })

        try pair.onB { try $0.restart() }
        #expect(try pair.onB { $0.bindingResponder == nil })
        let answeredBefore = try pair.onB { $0.answeredBindingRequests }
        try pair.onA { try $0.restart() }
        #expect(try pair.reconnectAfterRestart(), "no pair selected with the new credentials")
        #expect(pair.waitUntilReady())
        #expect(try pair.onB { $0.bindingResponder != nil })
        let renewed = (try pair.onA { $0.localCredentials }, try pair.onB { $0.localCredentials })
        // A request may still meet libnice while a pair selected again reopens the RTP
        // socket; a peer checks again later, and so does this.
        var transaction: UInt8 = 100
        let answered = Polling.until(limit: .seconds(5)) {
            transaction &+= 1
            let request = Self.request(from: renewed.0, to: renewed.1, transaction: transaction)
            _ = try? pair.onA { agent in request.withUnsafeBytes { agent.send($0) } }
            usleep(20_000)
            return (try? pair.onB { $0.answeredBindingRequests }) ?? 0 > answeredBefore
        }
        #expect(answered, "no request answered around libnice after the restart")
        #expect(try pair.onB { $0.refusedBindingRequests } == 1)
    }
}
