import NIOCore
import RTP
import TestSupport
import Testing

/// The per-consumer egress copy with the subscriber's header extensions.
@Suite struct EgressHeaderExtensionsTests {
    static func packet(_ header: RTPHeader, payload: [UInt8] = [1, 2, 3, 4, 5], padding: Int = 0) throws -> RTPPacket {
        var out = ByteBuffer()
        header.write(into: &out, payload: ByteBuffer(bytes: payload), paddingLength: padding)
        return try RTPPacket(validating: out)
    }

    static func copy(
        _ packet: RTPPacket,
        _ extensions: EgressHeaderExtensions,
        transportSequence: UInt16 = 0x1234,
        absSendTime: UInt32 = 0xABCDEF
    ) throws -> RTPPacket {
        var out = ByteBuffer()
        let written = packet.write(
            into: &out,
            ssrc: 0xCAFE,
            sequenceNumber: SequenceNumber(77),
            timestamp: RTPTimestamp(9_000),
            payloadType: 100,
            extensions: extensions,
            transportSequence: transportSequence,
            absSendTime: absSendTime
        )
        #expect(written == out.readableBytes)
        return try RTPPacket(validating: out)
    }

    @Test func theSubscribersElementsAreWrittenAndThePublishersRenumbered() throws {
        let input = try Self.packet(
            RTPHeader(
                marker: true,
                payloadType: 96,
                sequenceNumber: SequenceNumber(5),
                timestamp: RTPTimestamp(1),
                ssrc: 0x1111,
                csrcs: [0xAAAA],
                extensions: [
                    .init(id: 1, value: [0x85]),  // audio level
                    .init(id: 5, value: [9, 9, 9]),  // not passed on
                    .init(id: 13, value: [0x01]),  // video orientation: 90°
                ]
            ),
            padding: 4
        )
        let extensions = EgressHeaderExtensions(mid: (1, Array("3".utf8)), absSendTimeID: 2, transportWideID: 3)
        extensions.pass(1, as: 4)
        extensions.pass(13, as: 5)
        let output = try Self.copy(input, extensions)
        #expect(
            output.header.extensions == [
                .init(id: 1, value: Array("3".utf8)), .init(id: 2, value: [0xAB, 0xCD, 0xEF]),
                .init(id: 3, value: [0x12, 0x34]), .init(id: 4, value: [0x85]), .init(id: 5, value: [0x01]),
            ]
        )
        #expect(output.headerExtensions?.form == .oneByte)
        #expect(
            output.ssrc == 0xCAFE && output.sequenceNumber == SequenceNumber(77)
                && output.timestamp == RTPTimestamp(9_000)
        )
        #expect(output.payloadType == 100 && output.marker)
        #expect(output.csrcs == [0xAAAA])
        #expect(Array(output.payload.readableBytesView) == [1, 2, 3, 4, 5])
        #expect(output.paddingLength == 4)
    }

    @Test func aLongPassedThroughElementTakesTheTwoByteForm() throws {
        let descriptor = (0..<40).map { UInt8($0) }
        let input = try Self.packet(
            RTPHeader(
                payloadType: 96,
                sequenceNumber: SequenceNumber(5),
                timestamp: RTPTimestamp(1),
                ssrc: 0x1111,
                extensions: [.init(id: 12, value: descriptor)]
            )
        )
        let extensions = EgressHeaderExtensions(transportWideID: 3)
        extensions.pass(12, as: 9)
        let output = try Self.copy(input, extensions)
        #expect(output.headerExtensions?.form == .twoByte(appBits: 0))
        #expect(output.header.extensions == [.init(id: 3, value: [0x12, 0x34]), .init(id: 9, value: descriptor)])
    }

    /// An RTX copy (a retransmission or a probe) carries the same elements, the original
    /// number before the payload, and no padding; both forms.
    @Test func anRTXCopyCarriesTheElementsTheOriginalNumberAndNoPadding() throws {
        for twoByte in [false, true] {
            let input = try Self.packet(
                RTPHeader(
                    marker: true,
                    payloadType: 96,
                    sequenceNumber: SequenceNumber(5),
                    timestamp: RTPTimestamp(1),
                    ssrc: 0x1111,
                    extensions: [.init(id: 13, value: [0x01])]
                ),
                padding: 7
            )
            let extensions = EgressHeaderExtensions(absSendTimeID: 2, transportWideID: 3)
            extensions.pass(13, as: twoByte ? 15 : 5)
            var out = ByteBuffer()
            let written = input.write(
                into: &out,
                ssrc: 0xBEEF,
                sequenceNumber: SequenceNumber(900),
                timestamp: RTPTimestamp(9_000),
                payloadType: 102,
                extensions: extensions,
                transportSequence: 0x0102,
                absSendTime: 0x030405,
                originalSequenceNumber: SequenceNumber(0xABCD)
            )
            #expect(written == out.readableBytes)
            let rtx = try RTPPacket(validating: out)
            #expect(rtx.ssrc == 0xBEEF && rtx.sequenceNumber == SequenceNumber(900) && rtx.payloadType == 102)
            #expect(rtx.marker && !rtx.hasPadding)
            #expect(rtx.originalSequenceNumber == SequenceNumber(0xABCD))
            #expect(Array(rtx.payload.readableBytesView) == [0xAB, 0xCD, 1, 2, 3, 4, 5])
            #expect(
                rtx.header.extensions == [
                    .init(id: 2, value: [3, 4, 5]), .init(id: 3, value: [1, 2]),
                    .init(id: twoByte ? 15 : 5, value: [0x01]),
                ]
            )
        }
    }

    @Test func nothingToCarryWritesNoBlock() throws {
        let input = try Self.packet(
            RTPHeader(
                payloadType: 96,
                sequenceNumber: SequenceNumber(5),
                timestamp: RTPTimestamp(1),
                ssrc: 1,
                extensions: [.init(id: 1, value: [1])]
            )
        )
        let output = try Self.copy(input, EgressHeaderExtensions())
        #expect(!output.hasExtension && output.length == 12 + 5)
    }

    @Test func absSendTimeIsSixEighteenFixedPoint() {
        #expect(EgressHeaderExtensions.absSendTime(nanoseconds: 1_000_000_000) == 1 << 18)
        #expect(EgressHeaderExtensions.absSendTime(nanoseconds: 64_000_000_000) == 0)
        #expect(EgressHeaderExtensions.absSendTime(nanoseconds: 500_000_000) == 1 << 17)
    }

    /// Random packets (CSRCs, either form, padding, any elements) and random mappings:
    /// the copy parses, keeps the payload and padding, and carries exactly the mapped
    /// elements after the subscriber's own.
    @Test func randomPacketsCopyToWhatTheMappingSays() throws {
        var random = SplitMix64(seed: 0x5EED_E6E5)
        for _ in 0..<2_000 {
            let twoByteInput = Bool.random(using: &random)
            var elements: [RTPHeaderExtensionElement] = []
            var used = Set<UInt8>()
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let id = UInt8.random(in: 1...(twoByteInput ? 30 : 14), using: &random)
                guard used.insert(id).inserted else { continue }
                let length = Int.random(in: (twoByteInput ? 0 : 1)...(twoByteInput ? 40 : 16), using: &random)
                elements.append(
                    .init(id: id, value: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
                )
            }
            let payload = (0..<Int.random(in: 0...50, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            let header = RTPHeader(
                payloadType: 96,
                sequenceNumber: SequenceNumber(1),
                timestamp: RTPTimestamp(2),
                ssrc: 3,
                csrcs: (0..<Int.random(in: 0...3, using: &random)).map { SSRC($0) },
                extensions: elements
            )
            let input = try Self.packet(header, payload: payload, padding: Int.random(in: 0...3, using: &random))
            let extensions = EgressHeaderExtensions(
                mid: Bool.random(using: &random) ? (1, Array("12".utf8)) : nil,
                transportWideID: Bool.random(using: &random) ? 3 : nil
            )
            var expected: [RTPHeaderExtensionElement] = []
            if let mid = extensions.mid { expected.append(.init(id: mid.id, value: mid.value)) }
            if let id = extensions.transportWideID { expected.append(.init(id: id, value: [0x12, 0x34])) }
            var mapping: [UInt8: UInt8] = [:]
            for element in elements where Bool.random(using: &random) {
                let target = UInt8(40 + mapping.count)  // past one-byte ids: two-byte output
                let mapped = Bool.random(using: &random) ? UInt8(4 + mapping.count) : target
                mapping[element.id] = mapped
                extensions.pass(element.id, as: mapped)
            }
            for element in elements {
                if let mapped = mapping[element.id] { expected.append(.init(id: mapped, value: element.value)) }
            }
            let output = try Self.copy(input, extensions)
            #expect(output.header.extensions == expected)
            #expect(output.payload == input.payload)
            #expect(output.paddingLength == input.paddingLength)
            #expect(output.csrcs == input.csrcs)
        }
    }
}
