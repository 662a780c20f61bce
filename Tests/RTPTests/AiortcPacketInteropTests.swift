import Foundation
import NIOCore
import RTP
import TestSupport
import Testing

/// RTP and RTCP bytes exchanged with aiortc, a WebRTC stack nobody here wrote: its
/// packets parse to the values it built them from, and it parses ours to the values we
/// built them from.
@Suite struct AiortcPacketInteropTests {
    static let map = RTPHeaderExtensionMap([
        1: RTPHeaderExtensionURI.audioLevel, 2: RTPHeaderExtensionURI.absSendTime,
        3: RTPHeaderExtensionURI.transportWideCC, 4: RTPHeaderExtensionURI.mid,
        10: RTPHeaderExtensionURI.rtpStreamID, 11: RTPHeaderExtensionURI.repairedRTPStreamID,
    ])

    static func aiortc(_ mode: String, input: String = "") throws -> Any {
        let script = ExternalProcess.repositoryRoot.appendingPathComponent("scripts/capture/aiortc_packets.py").path
        let output = try ExternalProcess.run("/usr/bin/env", ["python3", script, mode], input: input)
        return try JSONSerialization.jsonObject(with: Data(output.utf8))
    }

    static func hex(_ buffer: ByteBuffer) -> String {
        buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
    }

    /// The values of an RTP packet in the shape aiortc_packets.py prints them.
    static func values(of packet: RTPPacket) -> [String: Any] {
        let level = packet.audioLevel(using: Self.map)
        return [
            "marker": packet.marker, "payloadType": Int(packet.payloadType),
            "sequenceNumber": Int(packet.sequenceNumber.rawValue), "timestamp": Int(packet.timestamp.rawValue),
            "ssrc": Int(packet.ssrc), "csrcs": packet.csrcs.map { Int($0) }, "payload": Self.hex(packet.payload),
            "mid": packet.mid(using: Self.map) as Any, "rid": packet.rtpStreamID(using: Self.map) as Any,
            "repairedRid": packet.repairedRTPStreamID(using: Self.map) as Any,
            "absSendTime": packet.absSendTime(using: Self.map).map { Int($0) } as Any,
            "audioLevel": level.map { [$0.voiceActivity, Int($0.level)] as [Any] } as Any,
            "transportSequenceNumber": packet.transportWideSequenceNumber(using: Self.map).map { Int($0) } as Any,
        ]
    }

    /// Compares two JSON-like values by their canonical JSON text: Swift optionals are
    /// unwrapped (`nil` is JSON null) and keys sorted.
    static func same(_ a: Any, _ b: Any) -> Bool {
        func unwrap(_ value: Any) -> Any {
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional {
                return mirror.children.first.map { unwrap($0.value) } ?? NSNull()
            }
            if let array = value as? [Any] { return array.map(unwrap) }
            if let dictionary = value as? [String: Any] { return dictionary.mapValues(unwrap) }
            return value
        }
        func canonical(_ value: Any) -> String? {
            let data = try? JSONSerialization.data(withJSONObject: ["value": unwrap(value)], options: [.sortedKeys])
            return data.map { String(decoding: $0, as: UTF8.self) }
        }
        guard let left = canonical(a), let right = canonical(b) else { return false }
        return left == right
    }

    @Test func comparisonSeesDifferences() {
        #expect(Self.same(["a": 1, "b": [true, "x"]] as [String: Any], ["b": [true, "x"], "a": 1] as [String: Any]))
        #expect(!Self.same(["a": 1] as [String: Any], ["a": 2] as [String: Any]))
        #expect(!Self.same(["a": Optional<String>.none as Any], ["a": "0"]))
        #expect(!Self.same([true], [1]))
    }

    @Test func readsAiortcRTPPackets() throws {
        let packets = try #require(try Self.aiortc("generate") as? [[String: Any]])
        let rtp = packets.filter { $0["kind"] as? String == "rtp" }
        #expect(rtp.count == 3)
        for item in rtp {
            let text = try #require(item["hex"] as? String)
            let bytes = try #require([UInt8](hex: text))
            let packet = try RTPPacket(validating: ByteBuffer(bytes: bytes))
            let expected = try #require(item["expect"])
            #expect(Self.same(Self.values(of: packet), expected), "\(item["name"] ?? "?"): \(Self.values(of: packet))")
        }
    }

    @Test func retransmissionsAgreeWithAiortc() throws {
        let packets = try #require(try Self.aiortc("generate") as? [[String: Any]])
        func packet(_ name: String) throws -> RTPPacket {
            let item = try #require(packets.first { $0["name"] as? String == name })
            let text = try #require(item["hex"] as? String)
            let bytes = try #require([UInt8](hex: text))
            return try RTPPacket(validating: ByteBuffer(bytes: bytes))
        }
        // aiortc's RTX packet (original sequence number 1234, 20 bytes, 7 of padding).
        var carried = ByteBuffer()
        try packet("rtx-repaired-padding").writeOriginal(into: &carried, ssrc: 0x1234, payloadType: 96)
        let original = try RTPPacket(validating: carried)
        #expect(original.sequenceNumber == SequenceNumber(1234) && original.ssrc == 0x1234)
        #expect(original.payload == ByteBuffer(bytes: Array(repeating: UInt8(ascii: "x"), count: 20)))
        #expect(original.paddingLength == 0 && original.repairedRTPStreamID(using: Self.map) == "f")

        // aiortc reads our RTX of its VP8 packet as RFC 4588 has it.
        let video = try packet("vp8-mid-rid-abs-twcc")
        var rtx = ByteBuffer()
        video.writeRetransmission(
            into: &rtx,
            ssrc: 0x5555_0001,
            sequenceNumber: SequenceNumber(500),
            timestamp: video.timestamp,
            payloadType: 97,
            originalSequenceNumber: video.sequenceNumber
        )
        let input = String(
            decoding: try JSONSerialization.data(withJSONObject: [["kind": "rtp", "hex": Self.hex(rtx)]]),
            as: UTF8.self
        )
        let theirs = try #require((try Self.aiortc("parse", input: input) as? [[String: Any]])?.first)
        #expect(theirs["payload"] as? String == "ffff" + Self.hex(video.payload))
        #expect(theirs["sequenceNumber"] as? Int == 500 && theirs["payloadType"] as? Int == 97)
        #expect(theirs["ssrc"] as? Int == 0x5555_0001 && theirs["mid"] as? String == "1")
        #expect(theirs["timestamp"] as? Int == Int(video.timestamp.rawValue))
    }

    @Test func readsAiortcRTCPPackets() throws {
        let packets = try #require(try Self.aiortc("generate") as? [[String: Any]])
        let rtcp = packets.filter { $0["kind"] as? String == "rtcp" }
        #expect(rtcp.count == 7)
        for item in rtcp {
            let text = try #require(item["hex"] as? String)
            let bytes = try #require([UInt8](hex: text))
            let parsed = try RTCPCompoundIterator.parse(ByteBuffer(bytes: bytes))
            #expect(parsed.count == 1)
            let expected = try #require(item["expect"] as? [String: Any])
            let actual = try #require(parsed.first.map(Self.values(of:)))
            #expect(Self.same(actual, expected), "\(actual) vs \(expected)")
        }
    }

    @Test func aiortcReadsOurPackets() throws {
        var video = ByteBuffer()
        RTPHeader(
            marker: true,
            payloadType: 96,
            sequenceNumber: SequenceNumber(65535),
            timestamp: RTPTimestamp(123),
            ssrc: 0x0102_0304,
            csrcs: [9],
            extensions: [
                .init(id: 4, value: Array("v".utf8)), .init(id: 10, value: Array("q".utf8)),
                .init(id: 2, value: [0xAB, 0xCD, 0xEF]), .init(id: 3, value: [0x01, 0x02]),
                .init(id: 1, value: AudioLevel(voiceActivity: true, level: 30).encoded),
            ]
        ).write(into: &video, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5]), paddingLength: 3)
        var rtcp = ByteBuffer()
        let ours: [RTCPPacket] = [
            .senderReport(
                SenderReport(
                    ssrc: 1,
                    ntpTimestamp: 0xE000_0000_0000_0001,
                    rtpTimestamp: RTPTimestamp(90000),
                    packetCount: 5,
                    octetCount: 600,
                    reports: [
                        ReportBlock(ssrc: 2, fractionLost: 1, cumulativeLost: 3, extendedHighestSequenceNumber: 70000)
                    ]
                )
            ),
            .sourceDescription(SourceDescription(chunks: [.init(source: 1, items: [.init(cname: "swift-sfu")])])),
            .genericNACK(
                GenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [5, 6, 9, 40].map { SequenceNumber($0) })
            ),
            .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .receiverEstimatedMaximumBitrate(REMB(senderSSRC: 1, bitsPerSecond: 800_000, ssrcs: [2])),
            .goodbye(Goodbye(sources: [1])),
        ]
        RTCPCompoundIterator.write(ours, into: &rtcp)
        let request: [[String: String]] = [
            ["kind": "rtp", "hex": Self.hex(video)], ["kind": "rtcp", "hex": Self.hex(rtcp)],
        ]
        let input = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let results = try #require(try Self.aiortc("parse", input: input) as? [Any])
        #expect(Self.same(results[0], Self.values(of: try RTPPacket(validating: video))), "\(results[0])")
        let theirs = try #require(results[1] as? [Any])
        #expect(theirs.count == ours.count)
        for (their, our) in zip(theirs, ours) {
            #expect(Self.same(their, Self.values(of: our)), "\(their) vs \(our)")
        }
    }

    /// An RTCP packet in the shape aiortc_packets.py prints it.
    static func values(of packet: RTCPPacket) -> [String: Any] {
        func report(_ r: ReportBlock) -> [String: Any] {
            [
                "ssrc": Int(r.ssrc), "fractionLost": Int(r.fractionLost), "packetsLost": Int(r.cumulativeLost),
                "highestSequence": Int(r.extendedHighestSequenceNumber), "jitter": Int(r.jitter),
                "lsr": Int(r.lastSenderReport), "dlsr": Int(r.delaySinceLastSenderReport),
            ]
        }
        switch packet {
        case .senderReport(let sr):
            return [
                "type": "sr", "ssrc": Int(sr.ssrc), "ntp": sr.ntpTimestamp,
                "rtpTimestamp": Int(sr.rtpTimestamp.rawValue),
                "packets": Int(sr.packetCount), "octets": Int(sr.octetCount), "reports": sr.reports.map(report),
            ]
        case .receiverReport(let rr):
            return ["type": "rr", "ssrc": Int(rr.ssrc), "reports": rr.reports.map(report)]
        case .sourceDescription(let sdes):
            return [
                "type": "sdes",
                "chunks": sdes.chunks.map { chunk in
                    [
                        "ssrc": Int(chunk.source),
                        "items": chunk.items.map {
                            [Int($0.type), String(decoding: $0.value, as: UTF8.self)] as [Any]
                        },
                    ] as [String: Any]
                },
            ]
        case .goodbye(let bye):
            return ["type": "bye", "sources": bye.sources.map { Int($0) }]
        case .genericNACK(let nack):
            return [
                "type": "rtpfb", "fmt": 1, "ssrc": Int(nack.senderSSRC), "mediaSsrc": Int(nack.mediaSSRC),
                "lost": nack.lostSequenceNumbers.map { Int($0.rawValue) },
            ]
        case .pictureLossIndication(let pli):
            return ["type": "psfb", "fmt": 1, "ssrc": Int(pli.senderSSRC), "mediaSsrc": Int(pli.mediaSSRC)]
        case .receiverEstimatedMaximumBitrate(let remb):
            return [
                "type": "psfb", "fmt": 15, "ssrc": Int(remb.senderSSRC), "mediaSsrc": 0, "bitrate": remb.bitsPerSecond,
                "ssrcs": remb.ssrcs.map { Int($0) },
            ]
        default:
            return ["type": "other"]
        }
    }
}
