import NIOCore
import RTP
import TestSupport
import Testing

@Suite struct RTCPPacketTests {
    /// Parses `bytes` as one packet, checks it is `expected`, and that writing it gives
    /// the same bytes back.
    func roundTrip(_ bytes: [UInt8], _ expected: RTCPPacket) throws {
        let packet = try RTCPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(packet == expected)
        var out = ByteBuffer()
        packet.write(into: &out)
        #expect(Array(buffer: out) == bytes)
        #expect(packet.encodedLength == bytes.count)
    }

    @Test func senderReportWithOneBlock() throws {
        let bytes: [UInt8] = [
            0x81, 0xC8, 0x00, 0x0C,  // V=2 RC=1 PT=200 length=12
            0x11, 0x22, 0x33, 0x44,  // sender SSRC
            0xE8, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,  // NTP
            0x00, 0x01, 0x00, 0x00,  // RTP timestamp
            0x00, 0x00, 0x00, 0x64,  // 100 packets
            0x00, 0x00, 0x27, 0x10,  // 10000 octets
            0xAA, 0xBB, 0xCC, 0xDD,  // report: SSRC
            0x19, 0xFF, 0xFF, 0xFE,  // fraction 25/256, cumulative -2 (24-bit)
            0x00, 0x01, 0x00, 0x05,  // ext. highest seq (1 cycle, 5)
            0x00, 0x00, 0x00, 0x20,  // jitter
            0x00, 0x01, 0x80, 0x00,  // LSR
            0x00, 0x00, 0x80, 0x00,  // DLSR (0.5 s)
        ]
        let block = ReportBlock(
            ssrc: 0xAABB_CCDD,
            fractionLost: 25,
            cumulativeLost: -2,
            extendedHighestSequenceNumber: 0x0001_0005,
            jitter: 32,
            lastSenderReport: 0x0001_8000,
            delaySinceLastSenderReport: 0x8000
        )
        try self.roundTrip(
            bytes,
            .senderReport(
                SenderReport(
                    ssrc: 0x1122_3344,
                    ntpTimestamp: 0xE800_0001_8000_0000,
                    rtpTimestamp: RTPTimestamp(0x10000),
                    packetCount: 100,
                    octetCount: 10000,
                    reports: [block]
                )
            )
        )
    }

    @Test func receiverReportWithoutBlocks() throws {
        try self.roundTrip([0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1], .receiverReport(ReceiverReport(ssrc: 1)))
    }

    @Test func sourceDescriptionWithCNAME() throws {
        let bytes: [UInt8] = [
            0x81, 0xCA, 0x00, 0x03,  // SC=1 PT=202 length=3
            0x00, 0x00, 0x00, 0x05,  // SSRC 5
            0x01, 0x04, 0x61, 0x62, 0x63, 0x64,  // CNAME "abcd"
            0x00, 0x00,  // END + pad to 32 bits
        ]
        let sdes = SourceDescription(chunks: [.init(source: 5, items: [.init(cname: "abcd")])])
        try self.roundTrip(bytes, .sourceDescription(sdes))
        #expect(sdes.cname(of: 5) == "abcd")
    }

    @Test func goodbyeWithReason() throws {
        let bytes: [UInt8] = [0x81, 0xCB, 0x00, 0x03, 0, 0, 0, 9, 0x03, 0x62, 0x79, 0x65, 0, 0, 0, 0]
        // NOTE: "bye" + length byte is exactly 4 bytes, so no padding after it; the four
        // zero bytes are covered by the length field and read as nothing.
        let parsed = try RTCPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(parsed == .goodbye(Goodbye(sources: [9], reason: "bye")))
        try self.roundTrip(
            [0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 9, 0x03, 0x62, 0x79, 0x65],
            .goodbye(Goodbye(sources: [9], reason: "bye"))
        )
        try self.roundTrip([0x82, 0xCB, 0x00, 0x02, 0, 0, 0, 9, 0, 0, 0, 8], .goodbye(Goodbye(sources: [9, 8])))
    }

    @Test func goodbyeReasonKeepsInvalidUTF8Bytes() throws {
        // Found by the fuzzer: a reason that is not UTF-8 must be written back unchanged.
        let bytes: [UInt8] = [0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 9, 0x03, 0xFF, 0xFE, 0xC3]
        let parsed = try Goodbye(validating: ByteBuffer(bytes: bytes))
        #expect(parsed.reason == [0xFF, 0xFE, 0xC3])
        var out = ByteBuffer()
        parsed.write(into: &out)
        #expect(Array(buffer: out) == bytes)
        #expect(Goodbye(sources: [1], reason: "bye").reasonText == "bye")
    }

    @Test func applicationDefined() throws {
        let bytes: [UInt8] = [0x83, 0xCC, 0x00, 0x03, 0, 0, 0, 1, 0x54, 0x45, 0x53, 0x54, 1, 2, 3, 4]
        try self.roundTrip(
            bytes,
            .applicationDefined(
                ApplicationDefined(subtype: 3, source: 1, name: Array("TEST".utf8), data: [1, 2, 3, 4])
            )
        )
    }

    @Test func genericNACKExpandsPIDAndBLP() throws {
        let bytes: [UInt8] = [
            0x81, 0xCD, 0x00, 0x04,  // FMT=1 PT=205 length=4
            0, 0, 0, 1, 0, 0, 0, 2,  // sender, media SSRC
            0xFF, 0xFE, 0x00, 0x05,  // PID 65534, BLP bits 0 and 2: 65535, 1 (wrapped)
            0x00, 0x64, 0x80, 0x00,  // PID 100, BLP bit 15: 116
        ]
        let nack = GenericNACK(
            senderSSRC: 1,
            mediaSSRC: 2,
            lostSequenceNumbers: [65534, 65535, 1, 100, 116].map { SequenceNumber($0) }
        )
        try self.roundTrip(bytes, .genericNACK(nack))
    }

    @Test func genericNACKCompressesAnyLossList() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var sequenceNumber = SequenceNumber(UInt16.random(in: 0...UInt16.max, using: &rng))
            var lost: [SequenceNumber] = []
            for _ in 0..<Int.random(in: 1...60, using: &rng) {
                sequenceNumber = sequenceNumber.advanced(by: Int.random(in: 1...40, using: &rng))
                lost.append(sequenceNumber)
            }
            let nack = GenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: lost)
            var out = ByteBuffer()
            nack.write(into: &out)
            #expect(try GenericNACK(validating: out).lostSequenceNumbers == lost)
        }
    }

    @Test func genericNACKWithRepeatedEntriesWritesEachNumberOnce() throws {
        // Found by the fuzzer: two identical PID/BLP entries expand to duplicates.
        let bytes: [UInt8] = [
            0x81, 0xCD, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0x8C, 0x8C, 0x00, 0x01, 0x8C, 0x8C, 0x00, 0x01,
        ]
        let nack = try GenericNACK(validating: ByteBuffer(bytes: bytes))
        #expect(nack.lostSequenceNumbers == [0x8C8C, 0x8C8D, 0x8C8C, 0x8C8D].map { SequenceNumber($0) })
        var out = ByteBuffer()
        nack.write(into: &out)
        #expect(try GenericNACK(validating: out).lostSequenceNumbers == [0x8C8C, 0x8C8D].map { SequenceNumber($0) })
    }

    @Test func pictureLossAndFullIntraRequest() throws {
        try self.roundTrip(
            [0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2],
            .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2))
        )
        try self.roundTrip(
            [0x84, 0xCE, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0x07, 0, 0, 0],
            .fullIntraRequest(FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 7)]))
        )
    }

    @Test func rembCarriesBitrateAsMantissaAndExponent() throws {
        let bytes: [UInt8] = [
            0x8F, 0xCE, 0x00, 0x05,  // FMT=15 PT=206 length=5
            0, 0, 0, 1, 0, 0, 0, 0,  // sender, media 0
            0x52, 0x45, 0x4D, 0x42,  // "REMB"
            0x01, 0x0F, 0x42, 0x40,  // 1 SSRC, exp 3, mantissa 0x34240... see below
            0, 0, 0, 9,
        ]
        // word 0x010F4240: count 1, exp = 0x0F4240 >> 18 = 3, mantissa = 0x0F4240 & 0x3FFFF = 0x34240.
        let parsed = try REMB(validating: ByteBuffer(bytes: bytes))
        #expect(parsed.bitsPerSecond == 0x34240 << 3)
        #expect(parsed.ssrcs == [9])
        try self.roundTrip(bytes, .receiverEstimatedMaximumBitrate(parsed))
        for bitrate in [0, 1, 300_000, 2_500_000, 1_000_000_000] {
            var out = ByteBuffer()
            REMB(senderSSRC: 1, bitsPerSecond: bitrate, ssrcs: [1, 2]).write(into: &out)
            let value = try REMB(validating: out).bitsPerSecond
            #expect(value <= bitrate && Double(value) >= Double(bitrate) * 0.9999, "REMB keeps 18 significant bits")
        }
    }

    @Test func transportWideFeedbackWithVectorAndPadding() throws {
        let bytes: [UInt8] = [
            0xAF, 0xCD, 0x00, 0x06,  // P=1 FMT=15 PT=205 length=6
            0, 0, 0, 1, 0, 0, 0, 2,  // sender, media SSRC
            0x00, 0x01, 0x00, 0x04,  // base seq 1, 4 statuses
            0x00, 0x00, 0x10, 0x02,  // reference time 16 (×64 ms), fb count 2
            0xD2, 0x40,  // 2-bit vector: small, not received, large, small
            0x04, 0xFF, 0xF0, 0x08,  // deltas: 4, -16 (2 bytes), 8
            0x00, 0x02,  // padding: 2 bytes
        ]
        let feedback = TransportWideFeedback(
            senderSSRC: 1,
            mediaSSRC: 2,
            baseSequenceNumber: 1,
            referenceTime: 16,
            feedbackPacketCount: 2,
            receiveDeltas: [4, nil, -16, 8]
        )
        try self.roundTrip(bytes, .transportWideFeedback(feedback))
    }

    @Test func transportWideFeedbackRoundTripsRandomStatuses() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let count = Int.random(in: 1...400, using: &rng)
            var deltas: [Int16?] = []
            var state = 0
            for _ in 0..<count {
                if Int.random(in: 0..<10, using: &rng) == 0 { state = Int.random(in: 0...2, using: &rng) }
                switch state {
                case 0: deltas.append(Int16.random(in: 0...255, using: &rng))
                case 1: deltas.append(nil)
                default: deltas.append(Int16.random(in: Int16.min...Int16.max, using: &rng))
                }
            }
            let feedback = TransportWideFeedback(
                senderSSRC: 3,
                mediaSSRC: 4,
                baseSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng),
                referenceTime: Int32.random(in: -0x80_0000...0x7F_FFFF, using: &rng),
                feedbackPacketCount: 9,
                receiveDeltas: deltas
            )
            var out = ByteBuffer()
            feedback.write(into: &out)
            #expect(out.readableBytes == feedback.encodedLength && out.readableBytes % 4 == 0)
            #expect(try TransportWideFeedback(validating: out) == feedback)
        }
    }

    @Test func extendedReportsAndUnknownTypesStayOpaque() throws {
        let xr: [UInt8] = [0x80, 0xCF, 0x00, 0x02, 0, 0, 0, 1, 0x04, 0x00, 0x00, 0x00]
        guard case .opaque(let packet) = try RTCPPacket(validating: ByteBuffer(bytes: xr)) else {
            Issue.record("XR should be opaque")
            return
        }
        #expect(packet.header.packetType == 207)
        var out = ByteBuffer()
        packet.write(into: &out)
        #expect(Array(buffer: out) == xr)
        let tmmbr: [UInt8] = [0x83, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2]  // RTPFB FMT=3
        #expect(
            try { if case .opaque = try RTCPPacket(validating: ByteBuffer(bytes: tmmbr)) { true } else { false } }()
        )
    }

    @Test func compoundOfReportSDESAndFeedback() throws {
        let packets: [RTCPPacket] = [
            .receiverReport(ReceiverReport(ssrc: 1, reports: [ReportBlock(ssrc: 2, fractionLost: 3)])),
            .sourceDescription(SourceDescription(chunks: [.init(source: 1, items: [.init(cname: "swift-sfu")])])),
            .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .receiverEstimatedMaximumBitrate(REMB(senderSSRC: 1, bitsPerSecond: 1_000_000, ssrcs: [2])),
        ]
        var out = ByteBuffer()
        RTCPCompoundIterator.write(packets, into: &out)
        let parsed = try RTCPCompoundIterator.parse(out)
        #expect(parsed.count == 4)
        #expect(parsed[0] == packets[0] && parsed[1] == packets[1] && parsed[2] == packets[2])
        var iterator = RTCPCompoundIterator(out)
        var types: [UInt8] = []
        while let (header, _) = try iterator.nextHeader() { types.append(header.packetType) }
        #expect(types == [201, 202, 206, 206])
    }

    @Test(
        arguments: [
            ([0x80, 0xC9], RTCPParseError.truncatedHeader),  // 2 of 4 header bytes
            ([0x40, 0xC9, 0x00, 0x00], .badVersion),  // V=1
            ([0x80, 0xC9, 0x00, 0x05, 0, 0, 0, 1], .lengthPastEnd),  // says 24 bytes, has 8
            ([0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 1], .reportBlocksPastEnd),  // RC=1, no block
            ([0x80, 0xC8, 0x00, 0x01, 0, 0, 0, 1], .truncatedBody),  // SR without sender info
            ([0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 9], .badPadding),  // pad 9 > body
            ([0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 0], .badPadding),  // pad 0
            // item past end
            ([0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 0x61, 0x62], .malformedSourceDescription),
            ([0x82, 0xCB, 0x00, 0x01, 0, 0, 0, 1], .malformedGoodbye),  // SC=2, one SSRC
            // NACK FCI of 2 bytes
            ([0xA1, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2], .malformedFeedbackEntries),
            ([0x84, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0], .malformedFeedbackEntries),  // FIR with no entry
            // no bitrate word
            ([0x8F, 0xCE, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0x52, 0x45, 0x4D, 0x42], .malformedREMB),
            // 2 SSRCs, none
            ([0x8F, 0xCE, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0, 0x52, 0x45, 0x4D, 0x42, 0x02, 0, 0, 1], .malformedREMB),
            ([0x81, 0xCE, 0x00, 0x01, 0, 0, 0, 1], .truncatedBody),  // PLI without media SSRC
            // no chunks
            ([0x8F, 0xCD, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 5, 0, 0, 0, 1], .malformedTransportFeedback),
            (
                [0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 1, 0x60, 0x01, 0, 0],
                .malformedTransportFeedback
            ),  // symbol 3
            (
                [0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 3, 0, 0, 0, 1, 0x20, 0x03, 0x01, 0x02],
                .malformedTransportFeedback
            ),  // 3 small deltas, 2 bytes
        ] as [([UInt8], RTCPParseError)]
    )
    func rejectsMalformedPackets(bytes: [UInt8], expected: RTCPParseError) {
        #expect(throws: expected) { try RTCPCompoundIterator.parse(ByteBuffer(bytes: bytes)) }
    }
}
