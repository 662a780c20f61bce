import DTLS
import NIOCore
import RTP
import Testing

@Suite struct SRTPContextTests {
    static func keys(_ profile: SRTPProfile, seed: UInt8) -> [UInt8] {
        (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed)) }
    }

    static func rtp(sequenceNumber: UInt16, ssrc: UInt32 = 0x1234_5678, payloadSize: Int = 1160) -> ByteBuffer {
        var out = ByteBuffer()
        RTPHeader(
            marker: true,
            payloadType: 96,
            sequenceNumber: SequenceNumber(sequenceNumber),
            timestamp: RTPTimestamp(90_000),
            ssrc: ssrc,
            extensions: [.init(id: 4, value: Array("0".utf8))]
        ).write(into: &out, payload: ByteBuffer(bytes: (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }))
        return out
    }

    func pair(_ profile: SRTPProfile) throws -> (sender: SRTPContext, receiver: SRTPContext) {
        let key = Self.keys(profile, seed: 3)
        return (
            try SRTPContext(profile: profile, keyAndSalt: key, direction: .outbound),
            try SRTPContext(profile: profile, keyAndSalt: key, direction: .inbound)
        )
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTripsForAnySSRC(profile: SRTPProfile) throws {
        let (sender, receiver) = try self.pair(profile)
        for ssrc: UInt32 in [1, 0xDEAD_BEEF, 42] {  // streams appear as they are first seen
            for sequenceNumber: UInt16 in [65534, 65535, 0, 1] {
                let plain = Self.rtp(sequenceNumber: sequenceNumber, ssrc: ssrc)
                var packet = plain
                try sender.protect(&packet)
                #expect(packet.readableBytes == plain.readableBytes + profile.rtpOverhead)
                #expect(packet.getBytes(at: 12, length: 8) == plain.getBytes(at: 12, length: 8), "header in clear")
                #expect(packet.getBytes(at: 40, length: 64) != plain.getBytes(at: 40, length: 64), "payload encrypted")
                try receiver.unprotect(&packet)
                #expect(packet == plain)
                #expect(try RTPPacket(validating: packet).ssrc == ssrc)
            }
        }
    }

    /// A session keeps a stream per SSRC (scripts/libsrtp/stream_list.c): each of 40,
    /// met in turn, has a replay window of its own, found again after the list grew.
    @Test func manySSRCsEachKeepTheirOwnStream() throws {
        let (sender, receiver) = try self.pair(.aeadAES128GCM)
        let ssrcs = (0..<40).map { UInt32(0x5000_0000 + $0 * 7919) }
        var sent: [UInt32: ByteBuffer] = [:]
        for sequenceNumber: UInt16 in [1, 2] {
            for ssrc in ssrcs {
                var packet = Self.rtp(sequenceNumber: sequenceNumber, ssrc: ssrc, payloadSize: 100)
                try sender.protect(&packet)
                if sequenceNumber == 1 { sent[ssrc] = packet }
                // Another stream's window held this number already: only its own counts.
                try receiver.unprotect(&packet)
                #expect(try RTPPacket(validating: packet).ssrc == ssrc)
            }
        }
        for ssrc in ssrcs.reversed() {
            var again = try #require(sent[ssrc])
            #expect(throws: SRTPError.replayed) { try receiver.unprotect(&again) }
        }
        #expect(receiver.replays == UInt64(ssrcs.count))
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTrips(profile: SRTPProfile) throws {
        let (sender, receiver) = try self.pair(profile)
        var plain = ByteBuffer()
        RTCPCompoundIterator.write(
            [
                .receiverReport(ReceiverReport(ssrc: 5, reports: [ReportBlock(ssrc: 6, fractionLost: 1)])),
                .pictureLossIndication(PictureLossIndication(senderSSRC: 5, mediaSSRC: 6)),
            ],
            into: &plain
        )
        for _ in 0..<3 {
            var packet = plain
            try sender.protectRTCP(&packet)
            #expect(packet.readableBytes > plain.readableBytes)
            try receiver.unprotectRTCP(&packet)
            #expect(packet == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rejectsTamperedPacketsAndCountsThem(profile: SRTPProfile) throws {
        let (sender, receiver) = try self.pair(profile)
        var packet = Self.rtp(sequenceNumber: 10)
        try sender.protect(&packet)
        for offset in [2, 20, packet.readableBytes / 2, packet.readableBytes - 1] {
            var tampered = packet
            tampered.setInteger(tampered.getInteger(at: offset, as: UInt8.self)! ^ 0x01, at: offset)
            #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotect(&tampered) }
        }
        var truncated = packet
        truncated.moveWriterIndex(to: truncated.writerIndex - 3)
        #expect(throws: SRTPError.self) { try receiver.unprotect(&truncated) }
        #expect(receiver.authenticationFailures >= 4)
        var intact = packet
        try receiver.unprotect(&intact)  // the stream goes on after bad packets
        #expect(intact == Self.rtp(sequenceNumber: 10))
    }

    @Test(arguments: SRTPProfile.allCases)
    func rejectsReplaysAndCountsThem(profile: SRTPProfile) throws {
        let (sender, receiver) = try self.pair(profile)
        var first = Self.rtp(sequenceNumber: 100)
        try sender.protect(&first)
        var replay = first
        try receiver.unprotect(&first)
        #expect(throws: SRTPError.replayed) { try receiver.unprotect(&replay) }
        #expect(receiver.replays == 1)
        var rtcp = ByteBuffer(bytes: [0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1])
        try sender.protectRTCP(&rtcp)
        var rtcpReplay = rtcp
        try receiver.unprotectRTCP(&rtcp)
        #expect(throws: SRTPError.replayed) { try receiver.unprotectRTCP(&rtcpReplay) }
    }

    @Test func wrongKeyFailsAuthentication() throws {
        let sender = try SRTPContext(
            profile: .aeadAES128GCM,
            keyAndSalt: Self.keys(.aeadAES128GCM, seed: 1),
            direction: .outbound
        )
        let receiver = try SRTPContext(
            profile: .aeadAES128GCM,
            keyAndSalt: Self.keys(.aeadAES128GCM, seed: 2),
            direction: .inbound
        )
        var packet = Self.rtp(sequenceNumber: 1)
        try sender.protect(&packet)
        #expect(throws: SRTPError.authenticationFailed) { try receiver.unprotect(&packet) }
    }

    @Test func shortGarbageIsMalformedNotACrash() throws {
        let (_, receiver) = try self.pair(.aes128CMHMACSHA1_80)
        for bytes in [[], [0x80], [0x80, 0x60, 0, 1, 0, 0, 0, 1]] as [[UInt8]] {
            var packet = ByteBuffer(bytes: bytes)
            #expect(throws: SRTPError.self) { try receiver.unprotect(&packet) }
            var rtcp = ByteBuffer(bytes: bytes)
            #expect(throws: SRTPError.self) { try receiver.unprotectRTCP(&rtcp) }
        }
    }

    @Test(arguments: [SRTPProfile.aeadAES128GCM, .aes128CMHMACSHA1_80])
    func keysFromAHandshakeProtectMediaBothWays(profile: SRTPProfile) throws {
        var harness = HandshakeHarness(
            client: try DTLSSession(
                role: .client,
                certificate: DTLSSessionTests.clientCertificate,
                remoteFingerprints: [DTLSSessionTests.serverCertificate.fingerprint],
                profiles: [profile]
            ),
            server: try DTLSSession(
                role: .server,
                certificate: DTLSSessionTests.serverCertificate,
                remoteFingerprints: [DTLSSessionTests.clientCertificate.fingerprint]
            )
        )
        harness.run()
        let client = try #require(harness.client.keyingMaterial)
        let server = try #require(harness.server.keyingMaterial)
        let clientOut = try SRTPContext(profile: profile, keyAndSalt: client.localKeyAndSalt, direction: .outbound)
        let serverIn = try SRTPContext(profile: profile, keyAndSalt: server.remoteKeyAndSalt, direction: .inbound)
        let serverOut = try SRTPContext(profile: profile, keyAndSalt: server.localKeyAndSalt, direction: .outbound)
        let clientIn = try SRTPContext(profile: profile, keyAndSalt: client.remoteKeyAndSalt, direction: .inbound)
        var up = Self.rtp(sequenceNumber: 1)
        try clientOut.protect(&up)
        try serverIn.unprotect(&up)
        #expect(up == Self.rtp(sequenceNumber: 1))
        var down = Self.rtp(sequenceNumber: 2, ssrc: 99)
        try serverOut.protect(&down)
        try clientIn.unprotect(&down)
        #expect(down == Self.rtp(sequenceNumber: 2, ssrc: 99))
    }
}
