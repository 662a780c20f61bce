import SDP
import SFU

/// `ReceiveVideoFrom`, `OnIceCandidate`, and the room events that answer back.
extension RTCCalls {
    /// `ReceiveVideoFrom` a user's own id publishes (again: renegotiates); another user's
    /// id receives that user's media, now or as soon as it publishes.
    func receiveVideo(_ message: RTCMessage) async throws(RTCError) {
        let (id, call) = try self.member(message)
        let user = message.userID
        let sender = try message.identifier("targetUserId")
        let offer = try message.string("sdpOffer", maximumLength: 128 * 1024)
        guard let senderState = call.users[sender] else {
            throw RTCError(.unknownUser, "user '\(sender)' has not joined call '\(id)'", ref: message.ref)
        }
        do {
            _ = try SessionDescription(parsing: offer)
        } catch {
            throw RTCError(.negotiationFailed, "'sdpOffer' is not an SDP offer: \(error)", ref: message.ref)
        }
        if sender == user {
            // A new offer of a user who publishes renegotiates its connection: tracks
            // added or removed, or an ICE restart.
            let answer = try await self.inRoom(call.room, ref: message.ref) { room throws(SFUError) in
                try room.publish(participantID: user, offer: offer).answer
            }
            self.calls[id]?.users[user]?.isPublishing = true
            self.answered(user, from: user, in: id, ref: message.ref, answer)
        } else if senderState.isPublishing {
            try await self.receive(user, from: sender, in: id, offer: offer, ref: message.ref)
        } else {
            self.calls[id]?.users[user]?.waiting[sender] = (message.ref, offer)
        }
    }

    /// A connection for `user` receiving `sender`'s tracks. A new offer of the same peer
    /// connection renegotiates it (an ICE restart); one of another replaces it.
    func receive(_ user: String, from sender: String, in id: String, offer: String, ref: String) async throws(RTCError)
    {
        guard let call = self.calls[id] else { return }
        let leg = Self.leg(user, from: sender)
        let answer = try await self.inRoom(call.room, ref: ref) { room throws(SFUError) in
            if room.participants[leg] != nil,
                let answer = try room.renegotiateSubscription(participantID: leg, offer: offer)
            {
                return answer
            }
            room.leave(participantID: leg)
            room.join(participantID: leg)
            let tracks = room.allProducers.filter { $0.participantID == sender }.map(\.id)
            do throws(SFUError) {
                return try room.answerSubscription(participantID: leg, offer: offer, producerIDs: tracks).answer
            } catch {
                room.leave(participantID: leg)
                throw error
            }
        }
        self.calls[id]?.users[user]?.receiving.insert(sender)
        self.answered(user, from: sender, in: id, ref: ref, answer)
    }

    /// Sends the answer, then the candidates that came before the connection existed.
    func answered(_ user: String, from sender: String, in id: String, ref: String, _ answer: String) {
        self.send(
            "ReceiveVideoAnswer",
            to: user,
            ref: ref,
            ["callId": .string(id), "targetUserId": .string(sender), "sdpAnswer": .string(answer)]
        )
        guard let early = self.calls[id]?.users[user]?.earlyCandidates.removeValue(forKey: sender),
            let room = self.calls[id]?.room
        else { return }
        let (participant, role) = Self.connection(of: user, from: sender)
        Task {
            try? await self.server.withRoom(room) { room throws(SFUError) in
                for candidate in early {
                    try? room.addRemoteCandidate(candidate, participantID: participant, role: role)
                }
            }
        }
    }

    static func connection(of user: String, from sender: String) -> (participant: String, role: TransportRole) {
        user == sender ? (user, .publish) : (Self.leg(user, from: sender), .subscribe)
    }

    func addCandidate(_ message: RTCMessage) async throws(RTCError) {
        let (id, call) = try self.member(message)
        let user = message.userID
        let sender = try message.identifier("senderUserId")
        let candidate: String
        switch message.data["candidate"] {
        case .object(let object)?:
            guard let text = object["candidate"]?.stringValue, text.utf8.count <= 1024 else {
                throw RTCError(.invalidMessage, "'candidate.candidate' is a string", ref: message.ref)
            }
            candidate = text
        case .string(let text)? where text.utf8.count <= 1024:
            candidate = text
        case .null?:
            candidate = ""
        default:
            throw RTCError(.missingField, "'candidate' is missing", ref: message.ref)
        }
        let line = candidate.hasPrefix("a=") ? String(candidate.dropFirst(2)) : candidate
        let connected =
            sender == user
            ? call.users[user]?.isPublishing == true : call.users[user]?.receiving.contains(sender) == true
        guard connected else {
            guard call.users[sender] != nil else {
                throw RTCError(.unknownUser, "user '\(sender)' has not joined call '\(id)'", ref: message.ref)
            }
            var early = call.users[user]?.earlyCandidates[sender] ?? []
            if early.count < 64 { early.append(line) }
            self.calls[id]?.users[user]?.earlyCandidates[sender] = early
            return
        }
        let (participant, role) = Self.connection(of: user, from: sender)
        _ = try await self.inRoom(call.room, ref: message.ref) { room throws(SFUError) in
            try room.addRemoteCandidate(line, participantID: participant, role: role)
        }
    }

    func inRoom<T: Sendable>(
        _ room: String,
        ref: String,
        _ body: @escaping @Sendable (Room) throws(SFUError) -> T
    ) async throws(RTCError) -> T {
        do {
            return try await self.server.withRoom(room, body)
        } catch {
            let code: RTCError.Code
            switch error {
            case .unknownRoom: code = .unknownCall
            case .invalidCandidate: code = .invalidCandidate
            case .roomFull, .subscribersFull: code = .callFull
            case .unknownParticipant: code = .notInCall
            case .recording: code = .recordingFailed
            default: code = .negotiationFailed
            }
            throw RTCError(code, error.description, ref: ref)
        }
    }

    // MARK: - Room events

    func route(_ roomName: String, _ event: RoomEvent) async {
        guard roomName.hasPrefix("rtc/") else { return }
        let id = String(roomName.dropFirst(4))
        guard let call = self.calls[id] else { return }
        switch event {
        case .localCandidate(let participantID, _, let candidate) where !candidate.isEmpty:
            let (user, sender) = Self.receiver(of: participantID) ?? (participantID, participantID)
            guard call.users[user] != nil else { return }
            self.send(
                "IceCandidate",
                to: user,
                [
                    "callId": .string(id), "senderUserId": .string(sender),
                    "candidate": ["candidate": .string(candidate), "sdpMid": "0", "sdpMLineIndex": 0],
                ]
            )
        case .recordingStarted, .recordingFinished:
            self.tellRecording(event, in: id, call: call)
        case .trackPublished(let track):
            // The publisher's answer is out; those waiting for its media get theirs.
            for (user, state) in call.users {
                guard let waiting = state.waiting[track.participantID] else { continue }
                self.calls[id]?.users[user]?.waiting[track.participantID] = nil
                do {
                    try await self.receive(
                        user,
                        from: track.participantID,
                        in: id,
                        offer: waiting.offer,
                        ref: waiting.ref
                    )
                } catch {
                    self.send(
                        "Error",
                        to: user,
                        ref: waiting.ref,
                        ["code": .string(error.code.rawValue), "message": .string(error.message)]
                    )
                }
            }
        default:
            break
        }
    }
}
