/// The selected pair's RTP and RTCP read around libnice, in batches, on a socket of
/// their own (`RTPSocket`), and the selected remote's binding requests answered there.
extension ICEAgent {
    /// Reads the selected pair's RTP and RTCP around libnice from now on, when asked to
    /// (`onReceiveRTP`) and the pair is plain UDP; stops doing so otherwise.
    func updateRTPSocket(bufferSize: Int32 = 4 << 20) {
        self.closeRTPSocket()
        guard self.onReceiveRTP != nil, let selected = self.selectedSocket() else { return }
        guard
            let socket = RTPSocket(
                beside: selected.descriptor,
                from: selected.destination,
                length: selected.destinationLength,
                bufferSize: bufferSize
            )
        else { return }
        self.rtpSocket = socket
        self.worker.mux.register(socket, for: self)
        self.startAnsweringBindingRequests()
    }

    /// Takes the selected remote's binding requests from libnice (`BindingResponder`),
    /// when the pair's credentials are settled and the kernel takes the program.
    func startAnsweringBindingRequests() {
        guard let socket = self.rtpSocket, let remoteUfrag = self.remoteUfrag else { return }
        let local = self.localCredentials
        guard !local.ufrag.isEmpty, socket.steerBindingRequests() else { return }
        self.bindingResponder = BindingResponder(
            localUfrag: local.ufrag,
            localPassword: local.pwd,
            remoteUfrag: remoteUfrag
        )
    }

    func stopAnsweringBindingRequests() {
        guard self.bindingResponder != nil else { return }
        self.bindingResponder = nil
        self.rtpSocket?.steerMediaOnly()
    }

    /// A STUN datagram the RTP socket took: a binding request from the selected remote.
    func answerBindingRequest(_ bytes: UnsafeRawBufferPointer, on socket: RTPSocket) {
        guard let responder = self.bindingResponder else {
            // Read after the program was put back: the peer checks again, and libnice answers.
            self.refusedBindingRequests &+= 1
            return
        }
        do {
            try responder.answer(bytes, from: socket.sourceAddress, into: &self.bindingResponse)
            socket.sendToSource(self.bindingResponse)
            self.answeredBindingRequests &+= 1
        } catch {
            self.refusedBindingRequests &+= 1
        }
    }

    func closeRTPSocket() {
        guard let socket = self.rtpSocket else { return }
        self.bindingResponder = nil
        self.rtpSocket = nil
        self.worker.mux.unregister(socket)
        socket.close()
    }

    /// Whether a datagram that is not STUN keeps the worker from being quiet: anything but
    /// RTCP, whose packet types (RFC 5761 §4) are 192-223 (media, or DTLS).
    @inline(__always)
    static func carriesMedia(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count < 2 || !(192...223).contains(bytes[1])
    }

    /// The RTP socket is readable (`ContextMux`): one batch. Whether it held media.
    func readRTP(into batch: ReceiveBatch) -> Bool {
        guard let socket = self.rtpSocket, let receive = self.onReceiveRTP else { return false }
        let count = socket.receive(into: batch)
        var readMedia = false
        for index in 0..<count {
            guard let (bytes, segmentSize, time) = batch.message(index) else {
                self.droppedForeignDatagrams &+= 1
                self.onForeignDatagram?()
                continue
            }
            if segmentSize > 0 { self.coalescedMessages &+= 1 }
            // One datagram, or several of `segmentSize` bytes (the last may be shorter).
            let step = segmentSize > 0 ? segmentSize : bytes.count
            var start = 0
            while start < bytes.count {
                let end = min(start + step, bytes.count)
                let datagram = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                start = end
                self.receivedDatagrams &+= 1
                // Only the selected remote's binding requests are steered here besides media.
                if datagram[0] < 4 {
                    self.answerBindingRequest(datagram, on: socket)
                    continue
                }
                readMedia = readMedia || Self.carriesMedia(datagram)
                receive(datagram, time)
                // What the datagram did may have closed the agent or changed its pair.
                guard self.rtpSocket === socket else { return readMedia }
            }
        }
        return readMedia
    }
}
