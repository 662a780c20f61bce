import DTLS
import Foundation
import ICE
import NIOCore
import RTP
import TestSupport
import Testing

@testable import SFU

/// A simulcast publisher (Chromium's three-RID offer) sends three media SSRCs with one
/// MID. Until layers are selected, a track stays on the layer it was bound to first;
/// the others are counted as `layerMismatch`, never rebound (which scrambled the
/// consumer's stream, switching layers on every packet).
@Suite struct SimulcastLayerTests {
    @Test func aTrackStaysOnTheLayerItWasFirstBoundTo() throws {
        let worker = MediaWorker(name: "layers")
        defer { worker.shutdown() }
        let network = try worker.sync { Result { try PrivateNetwork.enterOnCurrentThread() } }.get()
        try network.configureLoopback()
        let certificate = try DTLSCertificate()
        let offer = try String(
            contentsOf: ExternalProcess.repositoryRoot.appendingPathComponent(
                "Tests/Fixtures/chromium-156-offer-simulcast-3rid.sdp"
            ),
            encoding: .utf8
        )
        let sources = try worker.sync {
            Result { () throws(SFUError) -> [String] in
                let room = Room(name: "layers", worker: worker, certificate: certificate, configuration: .init())
                defer { room.close() }
                room.join(participantID: "p")
                _ = try room.publish(participantID: "p", offer: offer)
                let participant = room.participants["p"]!
                return [0x1111, 0x2222, 0x1111, 0x3333].map { ssrc in
                    var bytes = ByteBuffer()
                    RTPHeader(
                        payloadType: 96,
                        sequenceNumber: SequenceNumber(1),
                        timestamp: RTPTimestamp(0),
                        ssrc: SSRC(ssrc),
                        extensions: [RTPHeaderExtensionElement(id: 4, value: Array("1".utf8))]
                    ).write(into: &bytes, payload: ByteBuffer(bytes: [0x90, 0, 0, 0]))
                    switch participant.source(of: try! RTPPacket(validating: bytes)) {  // built just above
                    case .producer(let producer): return "track \(producer.mid)"
                    case .otherLayer: return "other layer"
                    case .retransmission: return "retransmission"
                    case .unknown: return "unknown"
                    }
                }
            }
        }.get()
        #expect(sources == ["track 1", "other layer", "track 1", "other layer"])
    }
}
