import RTP
import SDP

/// RTCP the SFU terminates and generates itself, once a second per transport: receiver
/// reports (and REMB at the room's bitrate cap, within the server's limit) towards each
/// publisher, sender reports
/// towards each subscriber (RFC 3550 §6, draft-alvestrand-rmcat-remb).
extension Room {
    /// The SSRC the SFU's own RTCP packets carry as their sender.
    static let reportingSSRC: SSRC = 1

    func sendReports(now: ContinuousClock.Instant = .now) {
        let ntpNow = NTPTime.now()
        for participant in self.participants.values {
            if let transport = participant.publishTransport, transport.state == .connected {
                self.sendReceiverReports(for: participant, on: transport.media, now: now)
            }
            if let transport = participant.subscribeTransport, transport.state == .connected {
                let reports = participant.consumers.compactMap { $0.senderReport(ntpNow: ntpNow) }
                // At most 31 report blocks per packet; one SR per consumer, in chunks.
                for start in stride(from: 0, to: reports.count, by: 16) {
                    transport.media.sendRTCP(reports[start..<min(reports.count, start + 16)].map { .senderReport($0) })
                }
            }
        }
    }

    func sendReceiverReports(for participant: Participant, on path: MediaPath, now: ContinuousClock.Instant) {
        var blocks: [ReportBlock] = []
        for stream in participant.producers.lazy.flatMap(\.streams) {
            guard let ssrc = stream.ssrc, let block = stream.statistics.reportBlock(ssrc: ssrc, now: now) else {
                continue
            }
            blocks.append(block)
        }
        var packets: [RTCPPacket] = []
        for start in stride(from: 0, to: blocks.count, by: 31) {
            packets.append(
                .receiverReport(
                    ReceiverReport(
                        ssrc: Self.reportingSSRC,
                        reports: Array(blocks[start..<min(blocks.count, start + 31)])
                    )
                )
            )
        }
        // The room's cap goes out every second, as Janus sends it; the server's limit alone
        // only beside receiver reports (media arriving), so an idle publisher costs no
        // datagram more.
        let remb =
            self.configuration.publisherBitrateCap != nil || !packets.isEmpty ? self.configuration.rembBitrate : nil
        if let cap = remb {
            let ssrcs = participant.producers.flatMap(\.streams).compactMap(\.ssrc)
            if !ssrcs.isEmpty {
                packets.append(
                    .receiverEstimatedMaximumBitrate(
                        REMB(senderSSRC: Self.reportingSSRC, bitsPerSecond: cap, ssrcs: ssrcs)
                    )
                )
            }
        }
        if !packets.isEmpty { path.sendRTCP(packets) }
    }
}

extension Consumer {
    /// A sender report for this consumer's outgoing stream, mapping the publisher's
    /// clock (from its last SR) through this consumer's timestamp offset; `nil` before
    /// anything was sent or before the publisher's first SR.
    func senderReport(ntpNow: UInt64) -> SenderReport? {
        guard self.packets > 0, let clock = self.source?.statistics.senderClock,
            let offset = self.rewriter.offsets?.timestamp
        else { return nil }
        let elapsed = NTPTime.seconds(ntpNow) - clock.ntpSeconds
        let ticks = Int64((elapsed * Double(self.producer.codec.clockRate)).rounded())
        let inputNow = UInt32(truncatingIfNeeded: Int64(clock.rtpTimestamp) &+ ticks)
        return SenderReport(
            ssrc: self.ssrc,
            ntpTimestamp: ntpNow,
            rtpTimestamp: RTPTimestamp(inputNow &+ offset),
            packetCount: UInt32(truncatingIfNeeded: self.packets),
            octetCount: UInt32(truncatingIfNeeded: self.octets)
        )
    }
}
