import DTLS
import ICE
import NIOCore
public import RTP

/// The per-packet path: unprotect and hand on; rewrite, protect, batch, send.
extension MediaPath {
    /// A protected datagram from the peer, SRTP or SRTCP (RFC 7983), as the connection
    /// would hand it on, that arrived at `arrival` (nanoseconds of the realtime clock; now
    /// when not given); anything else is dropped, counted.
    public func receive(_ bytes: UnsafeRawBufferPointer, arrival: UInt64? = nil) {
        self.counters.bytesIn &+= UInt64(bytes.count)
        switch DatagramKind(bytes) {
        case .rtp:
            let time = arrival ?? (self.needsArrivalTimes ? SelectedUDPSocket.wallClock : 0)
            self.receiveRTP(bytes, arrival: time)
        case .rtcp: self.receiveRTCP(bytes)
        default: self.drops.record(.unknownDatagram)
        }
    }

    /// Copies a datagram into the ingress buffer and unprotects it there; false (and
    /// counted) when there are no keys yet or authentication fails.
    func unprotectIntoIngress(_ bytes: UnsafeRawBufferPointer, isRTCP: Bool) -> Bool {
        guard let srtp = self.srtpInbound else {
            self.drops.record(.beforeKeys)
            return false
        }
        self.ingress.clear()
        self.ingress.writeBytes(bytes)
        do {
            if isRTCP { try srtp.unprotectRTCP(&self.ingress) } else { try srtp.unprotect(&self.ingress) }
        } catch {
            self.counters.srtpFailures &+= 1
            self.drops.record(.srtpFailure)
            return false
        }
        return true
    }

    /// An SRTP packet that arrived at `arrival` (realtime nanoseconds; read only when
    /// `needsArrivalTimes`), within the path's ingress limit if it has one.
    func receiveRTP(_ bytes: UnsafeRawBufferPointer, arrival: UInt64) {
        guard self.unprotectIntoIngress(bytes, isRTCP: false) else { return }
        // After authentication: datagrams forged with the publisher's address take nothing
        // from its allowance.
        if self.ingressLimit?.admits(bytes.count, at: arrival) == false {
            self.drops.record(.overBitrateLimit)
            return
        }
        guard let packet = try? RTPPacket(validating: self.ingress) else {
            self.drops.record(.malformedRTP)
            return
        }
        if let feedback = self.transportFeedback, feedback.record(packet, arrival: arrival) {
            self.waitForEndOfBurst()
        }
        self.arrival = arrival
        self.didReceiveRTP?(packet)
    }

    func receiveRTCP(_ bytes: UnsafeRawBufferPointer) {
        guard self.unprotectIntoIngress(bytes, isRTCP: true) else { return }
        var packets = RTCPCompoundIterator(self.ingress)
        do {
            while let packet = try packets.next() { self.didReceiveRTCP?(packet) }
        } catch {
            self.drops.record(.malformedRTCP)
        }
    }

    /// Sends a copy of `packet` with the consumer's SSRC, sequence number, timestamp and
    /// payload type, and the header extensions of `extensions`: copy into the egress
    /// buffer, protect in place, send. With `originalSequenceNumber`, the copy is an RTX
    /// packet (RFC 4588) carrying `packet` as the subscriber's packet of that number. A
    /// copy with a transport-wide sequence number is kept in the send history for the
    /// subscriber's feedback, under `probeCluster` when it is part of a bandwidth probe.
    /// With `pictureNumbers`, the copy's payload descriptor carries its picture numbers.
    @discardableResult
    public func sendRTP(
        _ packet: RTPPacket,
        ssrc: SSRC,
        sequenceNumber: SequenceNumber,
        timestamp: RTPTimestamp,
        payloadType: UInt8,
        extensions: EgressHeaderExtensions? = nil,
        originalSequenceNumber: SequenceNumber? = nil,
        probeCluster: UInt16 = 0,
        pictureNumbers: PacketLayers? = nil,
        endsPicture: Bool = false
    ) -> Bool {
        guard let srtp = self.srtpOutbound else { return false }
        self.egress.clear()
        guard let extensions else {
            // An RTX copy for a subscriber without extensions: written by the extension
            // writer with none (rare; the media copy's code stays as small as it was).
            guard originalSequenceNumber == nil else {
                return self.sendRTP(
                    packet,
                    ssrc: ssrc,
                    sequenceNumber: sequenceNumber,
                    timestamp: timestamp,
                    payloadType: payloadType,
                    extensions: EgressHeaderExtensions(),
                    originalSequenceNumber: originalSequenceNumber,
                    probeCluster: probeCluster,
                    pictureNumbers: pictureNumbers,
                    endsPicture: endsPicture
                )
            }
            packet.write(
                into: &self.egress,
                ssrc: ssrc,
                sequenceNumber: sequenceNumber,
                timestamp: timestamp,
                payloadType: payloadType
            )
            if let pictureNumbers { self.writePictureNumbers(pictureNumbers, of: packet, isRetransmission: false) }
            if endsPicture { self.setEgressMarker() }
            return self.protectAndSendEgress(srtp, isRTCP: false)
        }
        let now = self.sendClock
        let transportSequence = self.transportSequence
        packet.write(
            into: &self.egress,
            ssrc: ssrc,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            payloadType: payloadType,
            extensions: extensions,
            transportSequence: transportSequence,
            absSendTime: extensions.absSendTimeID == nil ? 0 : EgressHeaderExtensions.absSendTime(nanoseconds: now),
            originalSequenceNumber: originalSequenceNumber
        )
        if let pictureNumbers {
            self.writePictureNumbers(pictureNumbers, of: packet, isRetransmission: originalSequenceNumber != nil)
        }
        if endsPicture { self.setEgressMarker() }
        let sent = self.protectAndSendEgress(srtp, isRTCP: false)
        if extensions.transportWideID != nil {
            self.transportSequence &+= 1
            // Recorded whether the kernel took it or not: not sent is lost, for the
            // estimate. The egress buffer still holds the datagram as protected.
            self.sendHistory?.record(
                transportSequence,
                size: self.egress.readableBytes,
                at: now,
                probeCluster: probeCluster,
                ssrc: ssrc,
                mediaSequenceNumber: (originalSequenceNumber ?? sequenceNumber).rawValue
            )
        }
        return sent
    }

    /// The time a copy sent now is recorded with: the wall clock the receiving transport
    /// read for the datagram being handled (forwarded, or the feedback being answered),
    /// else now (a timer's send).
    var sendClock: UInt64 {
        let clock = self.bursts.clock
        return clock != 0 ? clock : SelectedUDPSocket.wallClock
    }

    /// Sets the marker bit of the copy in the egress buffer (an RTX copy's is the
    /// original's, RFC 4588 §4).
    func setEgressMarker() {
        let index = self.egress.readerIndex + 1
        guard let byte = self.egress.getInteger(at: index, as: UInt8.self) else { return }
        self.egress.setInteger(byte | 0x80, at: index)
    }

    /// Writes renumbered picture numbers into the copy of `packet` in the egress buffer,
    /// whose payload ends the copy (an RTX copy's without the padding).
    @inline(__always)
    func writePictureNumbers(_ numbers: PacketLayers, of packet: RTPPacket, isRetransmission: Bool) {
        let payloadEnd = self.egress.writerIndex - (isRetransmission ? 0 : packet.paddingLength)
        numbers.writePictureNumbers(into: &self.egress, payloadStart: payloadEnd - packet.payloadLength)
    }

    /// Sends RTCP packets as one compound datagram, protected.
    @discardableResult
    public func sendRTCP(_ packets: [RTCPPacket]) -> Bool {
        guard let srtp = self.srtpOutbound, !packets.isEmpty else { return false }
        self.egress.clear()
        RTCPCompoundIterator.write(packets, into: &self.egress)
        return self.protectAndSendEgress(srtp, isRTCP: true)
    }

    /// Protects the egress buffer in place and sends it; a failure of either is counted.
    @inline(__always)
    func protectAndSendEgress(_ srtp: SRTPContext, isRTCP: Bool) -> Bool {
        do {
            if isRTCP { try srtp.protectRTCP(&self.egress) } else { try srtp.protect(&self.egress) }
        } catch {
            self.drops.record(.srtpFailure)
            return false
        }
        let length = self.egress.readableBytes
        if self.socket != nil, !self.outbox.fits(length) { self.sendOutbox() }
        guard self.socket != nil, self.outbox.fits(length) else {
            // No socket of the selected pair's own (yet), or a datagram larger than the
            // outbox: sent alone, now.
            let sent = self.egress.withUnsafeReadableBytes { bytes in
                if let socket = self.socket { socket.send(bytes) } else { self.agent?.send(bytes) ?? false }
            }
            self.countSent(sent ? 1 : 0, bytes: sent ? length : 0, of: 1)
            return sent
        }
        self.egress.withUnsafeReadableBytes { self.outbox.append($0) }
        self.waitForEndOfBurst()
        return true
    }

    /// Asks to be flushed at the end of the receive burst, once per burst.
    @inline(__always)
    func waitForEndOfBurst() {
        guard !self.isWaitingForEndOfBurst else { return }
        self.isWaitingForEndOfBurst = true
        self.bursts.append(self)
    }

    /// The end of a receive burst: due transport-wide feedback joins the outbox (while
    /// the path still counts as waiting, so that it does not queue itself again), and
    /// what the outbox holds goes out.
    public func flushBurst() {
        if let feedback = self.transportFeedback, feedback.isDue { self.sendTransportFeedback(feedback) }
        self.isWaitingForEndOfBurst = false
        self.sendOutbox()
    }

    /// Sends what arrived since the last transport-wide feedback, one RTCP packet per
    /// datagram.
    func sendTransportFeedback(_ feedback: TransportFeedbackGenerator) {
        for packet in feedback.makeFeedback() where self.sendRTCP([.transportWideFeedback(packet)]) {
            self.counters.transportFeedbackSent &+= 1
        }
    }

    /// Sends the outbox now; what the kernel refuses is counted.
    func sendOutbox() {
        let queued = self.outbox.count
        guard queued > 0 else { return }
        let sent = self.outbox.flush(on: self.socket)
        self.countSent(sent.datagrams, bytes: sent.bytes, of: queued)
    }

    /// Counts `datagrams` of `queued` sent, and the rest as refused by the kernel.
    @inline(__always)
    func countSent(_ datagrams: Int, bytes: Int, of queued: Int) {
        self.counters.packetsOut &+= UInt64(datagrams)
        self.counters.bytesOut &+= UInt64(bytes)
        for _ in datagrams..<queued { self.drops.record(.sendFailed) }
    }
}
