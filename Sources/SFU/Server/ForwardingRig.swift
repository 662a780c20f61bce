import DTLS
@_spi(Benchmarks) public import ICE
import RTP
import SDP

/// The per-packet path of a room with its handshakes skipped, for the forwarding
/// benchmark: one publishing transport and one producer, fanned out to N consumers, each
/// on its own subscribing transport (a real libnice agent, real SRTP contexts, optionally
/// a real UDP socket). Keys are installed as DTLS would have; a datagram handed to
/// `receive` takes exactly the path a publisher's SRTP packet takes.
@_spi(Benchmarks) public final class ForwardingRig {
    public let publisher: WebRTCTransport
    public let producer: Producer
    private var subscribers: [WebRTCTransport] = []
    let profile: SRTPProfile = .aeadAES128GCM
    /// What the sending client would protect with: the publisher's inbound key.
    public let publisherKey: [UInt8]

    /// Builds the rig on `worker`'s thread. With `sink`, each consumer's transport sends
    /// through `descriptor` to `127.0.0.1:port`; without, it sends on descriptor -1, a
    /// system call the kernel refuses at once (counted as `sendFailed`): the path without
    /// the network stack.
    public init(
        worker: MediaWorker,
        consumers: Int,
        sink: (descriptor: Int32, port: UInt16)?
    ) throws {
        precondition(worker.isCurrentThread, "the rig is built on its worker")
        let certificate = try DTLSCertificate()
        let keyLength = self.profile.keyLength + self.profile.saltLength
        self.publisherKey = (0..<keyLength).map { _ in UInt8.random(in: 0...255) }
        self.publisher = try WebRTCTransport(id: "publisher", worker: worker, certificate: certificate, ice: .init())
        self.publisher.srtpInbound = try SRTPContext(
            profile: self.profile,
            keyAndSalt: self.publisherKey,
            direction: .inbound
        )
        self.publisher.update(.connected)
        let codec = CodecDescription(payloadType: 96, name: "VP8", clockRate: 90_000)
        let media = NegotiatedMedia(
            mid: "0",
            kind: "video",
            codecs: [codec],
            extensions: [],
            direction: .recvonly,
            remoteSSRCs: [0x1234_5678],
            remoteRIDs: [],
            rtcpReducedSize: true
        )
        let producer = Producer(
            id: "publisher:0",
            participantID: "publisher",
            media: media,
            codec: codec,
            transport: self.publisher,
            keyFrameRequestInterval: .milliseconds(300)
        )
        self.producer = producer
        self.publisher.didReceiveRTP = { [unowned producer] packet in producer.forward(packet) }
        for index in 0..<consumers {
            let transport = try WebRTCTransport(
                id: "subscriber-\(index)",
                worker: worker,
                certificate: certificate,
                ice: .init()
            )
            transport.srtpOutbound = try SRTPContext(
                profile: self.profile,
                keyAndSalt: (0..<keyLength).map { _ in UInt8.random(in: 0...255) },
                direction: .outbound
            )
            transport.socket = SelectedUDPSocket(
                descriptor: sink?.descriptor ?? -1,
                ipv4: "127.0.0.1",
                port: sink?.port ?? 9
            )
            transport.update(.connected)
            let consumer = Consumer(
                id: "subscriber-\(index)<publisher:0",
                mid: "0",
                producer: producer,
                transport: transport,
                ssrc: SSRC.random(in: 1...UInt32.max)
            )
            consumer.payloadType = 100
            producer.consumers.append(consumer)
            self.subscribers.append(transport)
        }
    }

    /// One protected datagram from the publisher, through the whole path up to the
    /// consumers' outboxes.
    public func receive(_ datagram: UnsafeRawBufferPointer) {
        self.publisher.didReceive(datagram)
    }

    /// Ends a receive burst, as the worker's loop does before it polls again: the
    /// outboxes are sent.
    public func endBurst() {
        self.publisher.worker.endBurst()
    }

    /// Packets that went through the whole path into the consumers' outboxes, added up
    /// over consumers (sent at the end of the burst, or refused there when the rig has no
    /// socket).
    public var forwarded: UInt64 {
        self.producer.consumers.reduce(0) { $0 &+ $1.packets }
    }

    public func close() {
        self.producer.consumers.removeAll()
        for transport in self.subscribers { transport.close() }
        self.publisher.close()
    }
}
