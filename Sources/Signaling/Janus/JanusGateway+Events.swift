import Logging
import Recording
import SFU

/// Room events of the core, as Janus clients see them: `webrtcup`, `media`, `hangup`,
/// `trickle`, and the VideoRoom's `publishers` and `talking`.
extension JanusGateway {
    func route(_ coreRoom: String, _ event: RoomEvent) async {
        guard let roomID = UInt64(coreRoom.dropFirst("videoroom/".count)), let room = self.rooms[roomID],
            room.coreName == coreRoom
        else { return }
        switch event {
        case .transportStateChanged(let participantID, let role, let state):
            await self.transport(of: participantID, role: role, in: room, changedTo: state)
        case .trackReceiving(let track, let isReceiving):
            guard let feedID = UInt64(track.participantID), let feed = room.feeds[feedID] else { return }
            var fields: [String: JSONValue] = [
                "mid": .string(track.mid), "type": .string(track.kind), "receiving": .bool(isReceiving),
            ]
            if !isReceiving { fields["seconds"] = 1 }
            self.deliver(
                JanusReplies.handleEvent("media", session: feed.session, handle: feed.handle, fields),
                to: feed.session
            )
        case .talking(let participantID, let trackID, let isTalking, let level):
            guard room.settings.audioLevelEvent, let feedID = UInt64(participantID), let feed = room.feeds[feedID],
                let track = feed.tracks.first(where: { $0.info.id == trackID })
            else { return }
            feed.isTalking = isTalking
            self.tellPublishers(
                in: room,
                except: nil,
                [
                    "videoroom": .string(isTalking ? "talking" : "stopped-talking"), "room": JSONValue(roomID),
                    "id": JSONValue(feedID), "mindex": JSONValue(track.mindex), "mid": .string(track.info.mid),
                    "audio-level-dBov-avg": JSONValue(level),
                ]
            )
        case .localCandidate(let participantID, _, let candidate):
            guard let handle = self.handle(of: participantID, in: room), handle.sentDescription else { return }
            let body: JSONValue =
                candidate.isEmpty
                ? ["completed": true]
                : ["sdpMid": .string(handle.firstMid), "sdpMLineIndex": 0, "candidate": .string(candidate)]
            self.deliver(
                JanusReplies.handleEvent("trickle", session: handle.session, handle: handle.id, ["candidate": body]),
                to: handle.session
            )
        case .layerChanged(let participantID, let mid, let spatial, let temporal, _, let isSVC):
            // As Janus tells a subscriber its simulcast substream or temporal layer changed
            // (of VP9 SVC, its `spatial_layer` or `temporal_layer`). Janus has no word for a
            // layer paused for bandwidth: janus.js sees the frames stop.
            guard spatial != nil || temporal != nil, let handle = self.handle(of: participantID, in: room) else {
                return
            }
            var data: [String: JSONValue] = ["videoroom": "event", "room": JSONValue(roomID), "mid": .string(mid)]
            if let spatial { data[isSVC ? "spatial_layer" : "substream"] = JSONValue(spatial) }
            if let temporal { data[isSVC ? "temporal_layer" : "temporal"] = JSONValue(temporal) }
            self.tell(handle: handle.id, .object(data))
        case .transportSilent(let participantID, let role):
            // A subscriber's connection is the server's to restart: a new offer, which
            // janus.js answers like any other. A publisher's is the client's (janus.js
            // `iceRestart`); Janus has no event to ask for one.
            self.logger.notice("\(role.rawValue) connection of \(participantID) in room \(roomID) went silent")
            guard role == .subscribe, let handle = self.handle(of: participantID, in: room),
                let subscription = room.subscribers[handle.id], !subscription.awaitingAnswer,
                let (data, jsep) = try? await self.offer(to: subscription, in: room, restart: true, event: "updated")
            else { return }
            self.tell(handle: handle.id, data, jsep: jsep)
        case .trackRefused(let participantID, let mid, let track):
            // Janus leaves such a section inactive without a word; SwiftSFU says why.
            guard let handle = self.handle(of: participantID, in: room) else { return }
            var refused: [String: JSONValue] = [
                "mid": .string(mid), "feed_mid": .string(track.mid), "codec": .string(track.codec),
                "type": .string(track.kind),
            ]
            if let feedID = UInt64(track.participantID) { refused["feed_id"] = JSONValue(feedID) }
            self.logger.notice("subscriber \(participantID) in room \(roomID) cannot receive \(track.codec)")
            self.tell(
                handle: handle.id,
                [
                    "videoroom": "event", "room": JSONValue(roomID), "refused": .object(refused),
                    "reason": .string("The answer rejected this stream: the browser cannot receive \(track.codec)"),
                ]
            )
        case .recordingFinished(let participantID, let summary):
            if let failure = summary.failure {
                self.logger.warning("recording of \(participantID) in room \(roomID) failed: \(failure)")
            } else {
                self.logger.info(
                    "recorded \(participantID) in room \(roomID): \(summary.path ?? "-"), \(summary.seconds) s, \(summary.bytes) bytes"
                )
            }
        case .participantJoined, .participantLeft, .trackPublished, .trackUnpublished, .trackMuted, .recordingStarted:
            break
        }
    }

    /// The handle whose peer connection a core participant is.
    func handle(of participantID: String, in room: VideoRoomState) -> JanusHandle? {
        if let feedID = UInt64(participantID), let feed = room.feeds[feedID] { return self.handles[feed.handle] }
        if participantID.hasPrefix("subscriber/"), let handleID = UInt64(participantID.dropFirst("subscriber/".count)),
            room.subscribers[handleID] != nil
        {
            return self.handles[handleID]
        }
        return nil
    }

    func transport(
        of participantID: String,
        role: TransportRole,
        in room: VideoRoomState,
        changedTo state: WebRTCTransport.State
    ) async {
        guard let handle = self.handle(of: participantID, in: room) else { return }
        switch state {
        case .connected:
            self.deliver(
                JanusReplies.handleEvent("webrtcup", session: handle.session, handle: handle.id),
                to: handle.session
            )
            // Others learn of a publisher once its media can flow, as in Janus.
            if role == .publish, case .publisher(_, let feedID) = handle.role, let feed = room.feeds[feedID],
                !feed.tracks.isEmpty, !feed.isActive
            {
                feed.isActive = true
                self.tellPublishers(
                    in: room,
                    except: feedID,
                    [
                        "videoroom": "event", "room": JSONValue(room.id),
                        "publishers": [feed.listing(talkingEvents: room.settings.audioLevelEvent)],
                    ]
                )
            }
        case .failed:
            self.deliver(
                JanusReplies.handleEvent(
                    "hangup",
                    session: handle.session,
                    handle: handle.id,
                    ["reason": "ICE failed"]
                ),
                to: handle.session
            )
            switch handle.role {
            case .publisher(_, let feedID):
                if let feed = room.feeds[feedID], !feed.tracks.isEmpty { await self.unpublish(feed, in: room) }
            case .subscriber:
                if let subscription = room.subscribers[handle.id] {
                    await self.leaveSubscriber(handle, room: room, subscription: subscription)
                    handle.role = .none
                }
            case .none:
                break
            }
        case .new, .connecting, .closed:
            break
        }
    }
}
