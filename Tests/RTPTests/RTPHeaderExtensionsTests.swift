import NIOCore
import RTP
import Testing

@Suite struct RTPHeaderExtensionsTests {
    static let map = RTPHeaderExtensionMap([
        1: RTPHeaderExtensionURI.audioLevel, 4: RTPHeaderExtensionURI.mid,
        5: RTPHeaderExtensionURI.playoutDelay, 10: RTPHeaderExtensionURI.rtpStreamID,
        11: RTPHeaderExtensionURI.repairedRTPStreamID, 13: RTPHeaderExtensionURI.videoOrientation,
        12: RTPHeaderExtensionURI.dependencyDescriptor, 99: "urn:example:unknown",
    ])

    func packet(extensions: [RTPHeaderExtensionElement]) throws -> RTPPacket {
        var out = ByteBuffer()
        RTPHeader(
            payloadType: 96,
            sequenceNumber: SequenceNumber(1),
            timestamp: RTPTimestamp(2),
            ssrc: 3,
            extensions: extensions
        )
        .write(into: &out, payload: ByteBuffer(bytes: [1, 2, 3]))
        return try RTPPacket(validating: out)
    }

    @Test func readsTheTypedValuesBrowsersSend() throws {
        let packet = try self.packet(extensions: [
            .init(id: 1, value: [0x80 | 42]),  // voice, -42 dBov
            .init(id: 4, value: Array("1".utf8)),
            .init(id: 10, value: Array("h".utf8)),
            .init(id: 11, value: Array("f".utf8)),
            .init(id: 13, value: [0x0D]),  // back camera, flipped... C=1 F=1 R=01: 90°
            .init(id: 5, value: [0x00, 0x10, 0x0A]),  // min 1 (10 ms), max 10 (100 ms)
            .init(id: 12, value: [0xC1, 0x00, 0x01]),
        ])
        let map = Self.map
        #expect(packet.audioLevel(using: map) == AudioLevel(voiceActivity: true, level: 42))
        #expect(packet.mid(using: map) == "1")
        #expect(packet.rtpStreamID(using: map) == "h")
        #expect(packet.repairedRTPStreamID(using: map) == "f")
        #expect(
            packet.videoOrientation(using: map) == VideoOrientation(isBackCamera: true, isFlipped: true, rotation: 90)
        )
        #expect(
            packet.playoutDelay(using: map) == PlayoutDelay(minimum: .milliseconds(10), maximum: .milliseconds(100))
        )
        #expect(packet.dependencyDescriptor(using: map).map { Array(buffer: $0) } == [0xC1, 0x00, 0x01])
        #expect(packet.headerExtensions?.form == .oneByte)
    }

    @Test func typedEncodersRoundTrip() throws {
        let delay = PlayoutDelay(minimum: .milliseconds(0), maximum: .milliseconds(40950))
        let orientation = VideoOrientation(rotation: 270)
        let packet = try self.packet(extensions: [
            .init(id: 5, value: delay.encoded), .init(id: 13, value: orientation.encoded),
            .init(id: 1, value: AudioLevel(voiceActivity: false, level: 127).encoded),
        ])
        #expect(packet.playoutDelay(using: Self.map) == delay)
        #expect(packet.videoOrientation(using: Self.map) == orientation)
        #expect(packet.audioLevel(using: Self.map) == AudioLevel(voiceActivity: false, level: 127))
    }

    @Test func usesTwoByteFormWhenAnElementNeedsIt() throws {
        let long = [UInt8](repeating: 7, count: 17)  // one-byte form holds at most 16
        let packet = try self.packet(extensions: [.init(id: 4, value: Array("0".utf8)), .init(id: 99, value: long)])
        guard case .twoByte = packet.headerExtensions?.form else {
            Issue.record("expected two-byte form")
            return
        }
        #expect(packet.headerExtension(id: 99).map { Array(buffer: $0) } == long)
        #expect(packet.mid(using: Self.map) == "0")
    }

    @Test func addsReplacesAndStripsElements() throws {
        let original = try self.packet(extensions: [
            .init(id: 4, value: Array("0".utf8)), .init(id: 10, value: Array("q".utf8)),
        ])
        let replaced = original.settingHeaderExtension(id: 4, value: Array("video".utf8))
        #expect(replaced.mid(using: Self.map) == "video")
        #expect(replaced.rtpStreamID(using: Self.map) == "q")
        let added = replaced.settingHeaderExtension(id: 1, value: [0x10])
        #expect(added.audioLevel(using: Self.map)?.level == 16)
        let stripped = added.strippingHeaderExtensions { $0 == 4 }
        #expect(stripped.headerExtensions?.elements.map(\.id) == [4])
        let none = stripped.strippingHeaderExtensions { _ in false }
        #expect(!none.hasExtension)
        for edited in [replaced, added, stripped, none] {
            #expect(Array(buffer: edited.payload) == [1, 2, 3])
            #expect(edited.sequenceNumber == original.sequenceNumber && edited.ssrc == original.ssrc)
        }
    }

    @Test func skipsPaddingAndStopsAtIDFifteen() throws {
        let bytes: [UInt8] = [
            0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
            0xBE, 0xDE, 0x00, 0x02,
            0x00, 0x00, 0x40, 0x61,  // padding, padding, id 4 L=0 'a'
            0xF0, 0x50, 0x62, 0x00,  // id 15: stop; what follows is not read
        ]
        let packet = try RTPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(packet.mid(using: Self.map) == "a")
        #expect(packet.headerExtensions?.elements.count == 1)
    }

    @Test func keepsAnUnknownProfileOpaque() throws {
        let bytes: [UInt8] = [0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x12, 0x34, 0x00, 0x01, 1, 2, 3, 4, 0xFF]
        let packet = try RTPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(packet.headerExtensions?.form == .other(profile: 0x1234))
        #expect(packet.headerExtensions.map { Array(buffer: $0.rawData) } == [1, 2, 3, 4])
        #expect(packet.headerExtension(id: 1) == nil)
        #expect(packet.payloadLength == 1)
    }
}

/// Inputs the fuzzers found, kept as regression tests.
@Suite struct RTPFuzzRegressionTests {
    @Test func idZeroWithALengthNibbleIsOnePaddingByte() throws {
        // One-byte block: id 2 L=0 (0x01), then 0x02 (id 0, L=2): padding, not an element.
        let bytes: [UInt8] = [
            0x90, 0xE4, 0x1A, 0x34, 0, 1, 0xE2, 0x40, 0xCA, 0xFE, 0x6C, 0xBE,
            0xBE, 0xDE, 0x00, 0x02, 0x20, 0x01, 0x02, 0x10, 0x31, 0x30, 0x00, 0x00, 0x90, 0x80, 0x01, 0x00,
        ]
        let packet = try RTPPacket(validating: ByteBuffer(bytes: bytes))
        #expect(packet.headerExtensions?.elements.map(\.id) == [2, 1, 3])
        let edited = packet.settingHeaderExtension(id: 4, value: Array("fuzz".utf8))
        #expect(edited.payload == packet.payload)
        #expect(edited.headerExtensions?.elements.map(\.id) == [2, 1, 3, 4])
    }
}
