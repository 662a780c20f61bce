import DTLS
@_spi(Benchmarks) import ICE
import NIOCore
import RTP
import SDP
import TestSupport

@_spi(Benchmarks) @testable import SFU

/// A room's per-packet path without its connections, driven synchronously: media paths
/// with fixed SRTP keys, each sending to a UDP socket on 127.0.0.1 that plays its client,
/// and bursts ended by hand. No ICE agent, no DTLS, no worker thread.
final class MediaHarness {
    static let profile = SRTPProfile.aeadAES128GCM
    let bursts = BurstQueue()
    /// The socket every path sends from.
    let serverSocket: UDPSocket
    private var nextSeed: UInt8 = 0
    /// The participants made, kept as a room keeps them (their paths hold them unowned).
    private(set) var participants: [Participant] = []

    init() throws {
        self.serverSocket = try UDPSocket()
    }

    /// Ends a receive burst, as the worker's loop does: the outboxes are sent.
    func endBurst() {
        self.bursts.flush()
    }

    /// One connection as both ends see it: the SFU's media path, and its client's socket
    /// and SRTP contexts.
    final class Leg {
        let path: MediaPath
        let client: UDPSocket
        /// What the client protects its packets with, and unprotects the SFU's with.
        let clientOutbound: SRTPContext
        let clientInbound: SRTPContext

        init(path: MediaPath, client: UDPSocket, clientOutbound: SRTPContext, clientInbound: SRTPContext) {
            self.path = path
            self.client = client
            self.clientOutbound = clientOutbound
            self.clientInbound = clientInbound
        }

        /// The client sends an RTP packet: protected, then handed to the path, arriving
        /// at `arrival` (realtime nanoseconds; now when not given).
        func send(_ packet: [UInt8], arrival: UInt64? = nil) throws {
            var buffer = ByteBuffer(bytes: packet)
            try self.clientOutbound.protect(&buffer)
            buffer.withUnsafeReadableBytes { self.path.receive($0, arrival: arrival) }
        }

        /// The client sends RTCP packets as one compound datagram.
        func send(_ packets: [RTCPPacket]) throws {
            var buffer = ByteBuffer()
            RTCPCompoundIterator.write(packets, into: &buffer)
            try self.clientOutbound.protectRTCP(&buffer)
            buffer.withUnsafeReadableBytes { self.path.receive($0) }
        }

        /// Everything the SFU sent the client so far, unprotected: RTP packets and RTCP
        /// packets, in order.
        func received() throws -> (rtp: [RTPPacket], rtcp: [RTCPPacket]) {
            var rtp: [RTPPacket] = []
            var rtcp: [RTCPPacket] = []
            while let (bytes, _) = self.client.receive() {
                var buffer = ByteBuffer(bytes: bytes)
                if bytes.withUnsafeBytes({ DatagramKind($0) }) == .rtcp {
                    try self.clientInbound.unprotectRTCP(&buffer)
                    var packets = RTCPCompoundIterator(buffer)
                    while let packet = try packets.next() { rtcp.append(packet) }
                } else {
                    try self.clientInbound.unprotect(&buffer)
                    rtp.append(try RTPPacket(validating: buffer))
                }
            }
            return (rtp, rtcp)
        }
    }

    /// A connected leg with its own fixed keys.
    func leg(_ id: String) throws -> Leg {
        let local = self.key()
        let remote = self.key()
        let path = MediaPath(id: id, bursts: self.bursts)
        try path.start(profile: Self.profile, localKeyAndSalt: local, remoteKeyAndSalt: remote)
        let client = try UDPSocket(receiveTimeout: .milliseconds(5))
        path.attach(SelectedUDPSocket(descriptor: self.serverSocket.descriptor, ipv4: "127.0.0.1", port: client.port))
        return Leg(
            path: path,
            client: client,
            clientOutbound: try SRTPContext(profile: Self.profile, keyAndSalt: remote, direction: .outbound),
            clientInbound: try SRTPContext(profile: Self.profile, keyAndSalt: local, direction: .inbound)
        )
    }

    private func key() -> [UInt8] {
        self.nextSeed &+= 1
        return (0..<(Self.profile.keyLength + Self.profile.saltLength)).map {
            UInt8(truncatingIfNeeded: $0) &* 13 &+ self.nextSeed
        }
    }

    /// A publishing participant with one video track (`videoCodec` on 96, RTX on 97) and
    /// one audio track (Opus), routed as a room routes them.
    func publisher(
        _ id: String,
        videoSSRC: SSRC = 0x1111,
        rtxSSRC: SSRC = 0x2222,
        audioSSRC: SSRC = 0x3333,
        videoCodec: String = "VP8"
    ) throws
        -> (Participant, Leg)
    {
        let leg = try self.leg("\(id)/publish")
        let participant = Participant(id: id, displayName: nil)
        let vp8 = CodecDescription(payloadType: 96, name: videoCodec, clockRate: 90_000)
        let rtx = CodecDescription(payloadType: 97, name: "rtx", clockRate: 90_000, parameters: "apt=96")
        let opus = CodecDescription(payloadType: 111, name: "opus", clockRate: 48_000, channels: 2)
        let sections = [
            NegotiatedMedia(
                mid: "0",
                kind: "audio",
                codecs: [opus],
                extensions: [ExtensionMap(id: 1, uri: RTPHeaderExtensionURI.audioLevel)],
                direction: .recvonly,
                remoteSSRCs: [audioSSRC],
                remoteRIDs: [],
                rtcpReducedSize: true
            ),
            NegotiatedMedia(
                mid: "1",
                kind: "video",
                codecs: [vp8, rtx],
                extensions: [
                    ExtensionMap(id: 3, uri: RTPHeaderExtensionURI.transportWideCC),
                    ExtensionMap(id: 13, uri: RTPHeaderExtensionURI.videoOrientation),
                ],
                direction: .recvonly,
                remoteSSRCs: [videoSSRC, rtxSSRC],
                remoteRIDs: [],
                rtcpReducedSize: true
            ),
        ]
        for media in sections {
            let producer = Producer(
                id: "\(id):\(media.mid)",
                participantID: id,
                media: media,
                codec: media.codecs[0],
                path: leg.path,
                keyFrameRequestInterval: .milliseconds(300)
            )
            participant.producers.append(producer)
            participant.bind(producer, rtx: media.remoteRetransmissionSSRCs, listed: media.remoteSSRCs)
        }
        participant.routePublished(from: leg.path)
        self.participants.append(participant)
        return (participant, leg)
    }

    /// The header extension ids a simulcast publisher's packets use.
    static let midID: UInt8 = 4
    static let ridID: UInt8 = 10
    static let repairedRIDID: UInt8 = 11

    /// A publishing participant with one VP8 video track (mid "0", RTX on 97) sent as
    /// simulcast, one stream per rid in `rids` (listed as the description lists them);
    /// its packets are bound to streams by the MID and rid extensions they carry.
    func simulcastPublisher(_ id: String, rids: [String]) throws -> (Participant, Leg) {
        let leg = try self.leg("\(id)/publish")
        let participant = Participant(id: id, displayName: nil)
        let vp8 = CodecDescription(payloadType: 96, name: "VP8", clockRate: 90_000)
        let rtx = CodecDescription(payloadType: 97, name: "rtx", clockRate: 90_000, parameters: "apt=96")
        let extensions = [
            ExtensionMap(id: Self.midID, uri: RTPHeaderExtensionURI.mid),
            ExtensionMap(id: Self.ridID, uri: RTPHeaderExtensionURI.rtpStreamID),
            ExtensionMap(id: Self.repairedRIDID, uri: RTPHeaderExtensionURI.repairedRTPStreamID),
        ]
        let media = NegotiatedMedia(
            mid: "0",
            kind: "video",
            codecs: [vp8, rtx],
            extensions: extensions,
            direction: .recvonly,
            remoteSSRCs: [],
            remoteRIDs: rids,
            rtcpReducedSize: true
        )
        let producer = Producer(
            id: "\(id):0",
            participantID: id,
            media: media,
            codec: vp8,
            path: leg.path,
            keyFrameRequestInterval: .milliseconds(300)
        )
        participant.producers.append(producer)
        participant.extensionMap = RTPHeaderExtensionMap(
            Dictionary(uniqueKeysWithValues: extensions.map { ($0.id, $0.uri) })
        )
        participant.routePublished(from: leg.path)
        self.participants.append(participant)
        return (participant, leg)
    }

    /// A subscribing participant taking `producers`, one consumer each, with RTX for video
    /// on payload type 102 and the media on 100 (video) or 109 (audio); with
    /// `acceptingExtensions`, each section's answer keeps the header extensions the
    /// server offers for it.
    func subscriber(
        _ id: String,
        taking producers: [Producer],
        acceptingExtensions: Bool = false
    ) throws -> (Participant, Leg) {
        let leg = try self.leg("\(id)/subscribe")
        let participant = Participant(id: id, displayName: nil)
        for (index, producer) in producers.enumerated() {
            let consumer = Consumer(
                id: "\(id)<\(producer.id)",
                mid: String(index),
                producer: producer,
                path: leg.path,
                ssrc: 0x5000 + SSRC(index)
            )
            consumer.payloadType = producer.kind == "video" ? 100 : 109
            if producer.kind == "video" { consumer.retransmissionPayloadType = 102 }
            if acceptingExtensions {
                consumer.negotiatedExtensions = Consumer.offeredExtensions(for: producer, transportWideCC: true)
                consumer.updateExtensions()
            }
            producer.consumers.append(consumer)
            participant.consumers.append(consumer)
        }
        participant.routeFeedback(from: leg.path)
        self.participants.append(participant)
        return (participant, leg)
    }
}

/// An RTP packet's bytes: version 2, `extensions` as one-byte header elements (RFC 8285
/// §4.2), `payload` after the header.
func rtpPacket(
    ssrc: SSRC,
    sequenceNumber: UInt16,
    timestamp: UInt32,
    payloadType: UInt8,
    marker: Bool = false,
    extensions: [(id: UInt8, value: [UInt8])] = [],
    payload: [UInt8] = Array(repeating: 0x42, count: 100)
) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt8(extensions.isEmpty ? 0x80 : 0x90))
    buffer.writeInteger(payloadType | (marker ? 0x80 : 0))
    buffer.writeInteger(sequenceNumber)
    buffer.writeInteger(timestamp)
    buffer.writeInteger(ssrc)
    if !extensions.isEmpty {
        var elements: [UInt8] = []
        for (id, value) in extensions { elements += [id << 4 | UInt8(value.count - 1)] + value }
        while elements.count % 4 != 0 { elements.append(0) }
        buffer.writeInteger(UInt16(0xBEDE))
        buffer.writeInteger(UInt16(elements.count / 4))
        buffer.writeBytes(elements)
    }
    buffer.writeBytes(payload)
    return Array(buffer.readableBytesView)
}
