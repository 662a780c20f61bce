/// `/sfu-client.js`: the browser client of the native protocol (docs/native-protocol.md),
/// an ES module the demo page and the browser tests use. Embedded so that the server
/// needs no files on disk.
enum ClientModule {
    static let javaScript = #"""
        // SwiftSFU client: join a room, publish, receive everyone else.
        // Events (on the client, an EventTarget): joined, participantJoined, participantLeft,
        // trackPublished, trackUnpublished, trackMuted, trackRefused, talking, track, unsubscribed,
        // connectionSilent (then the client restarts ICE on that connection), error, closed.
        export class SFUClient extends EventTarget {
          constructor(url, { autoSubscribe = true, iceServers, iceTransportPolicy } = {}) {
            super();
            this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
            this.autoSubscribe = autoSubscribe;
            this.iceServers = iceServers;
            this.iceTransportPolicy = iceTransportPolicy;
            this.nextId = 1;
            this.pending = new Map();
            this.participants = new Map();
            this.tracks = new Map();
            this.trackOwners = new Map();
            this.publisher = null;
            this.subscriber = null;
            this.subscriptions = Promise.resolve();
            this.heldCandidates = { publish: [], subscribe: [] };
            this.remoteCandidates = { publish: [], subscribe: [] };
            this.canTrickle = { publish: false, subscribe: false };
          }

          connect() {
            return new Promise((resolve, reject) => {
              this.ws = new WebSocket(this.url);
              this.ws.onopen = () => resolve(this);
              this.ws.onerror = () => reject(new Error(`cannot connect to ${this.url}`));
              this.ws.onclose = () => {
                for (const { reject } of this.pending.values()) reject(new Error('connection closed'));
                this.pending.clear();
                this.emit('closed', {});
              };
              this.ws.onmessage = (message) => this.receive(JSON.parse(message.data));
            });
          }

          request(type, fields = {}) {
            const id = this.nextId++;
            return new Promise((resolve, reject) => {
              this.pending.set(id, { resolve, reject });
              this.ws.send(JSON.stringify({ type, id, ...fields }));
            });
          }

          emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

          receive(message) {
            if (message.id !== undefined && message.id !== null && this.pending.has(message.id)) {
              const { resolve, reject } = this.pending.get(message.id);
              this.pending.delete(message.id);
              if (message.type === 'error') {
                const error = new Error(message.message);
                error.code = message.code;
                reject(error);
              } else {
                resolve(message);
              }
              return;
            }
            switch (message.type) {
              case 'participantJoined':
                this.participants.set(message.participant.id, message.participant);
                break;
              case 'participantLeft':
                this.participants.delete(message.participantId);
                for (const [id, track] of this.tracks) {
                  if (track.participantId === message.participantId) this.tracks.delete(id);
                }
                break;
              case 'trackPublished':
                this.tracks.set(message.track.id, message.track);
                if (this.autoSubscribe && this.joined) this.subscribe();
                break;
              case 'trackUnpublished':
                this.tracks.delete(message.track.id);
                break;
              case 'trackMuted':
                if (this.tracks.has(message.track.id)) this.tracks.set(message.track.id, message.track);
                break;
              case 'trickle':
                this.addRemoteCandidate(message.target, message.candidate);
                return;
              case 'connectionSilent':
                this.restartConnection(message.target);
                break;
            }
            this.emit(message.type, message);
          }

          async join(room, { displayName, pin } = {}) {
            const reply = await this.request('join', { room, displayName, pin });
            this.room = room;
            this.participantId = reply.participantId;
            this.joined = true;
            for (const participant of reply.participants) this.participants.set(participant.id, participant);
            for (const track of reply.tracks) this.tracks.set(track.id, track);
            if (!this.iceServers) this.iceServers = reply.iceServers || [];
            if (!this.iceTransportPolicy) this.iceTransportPolicy = reply.iceTransportPolicy || 'all';
            this.emit('joined', reply);
            if (this.autoSubscribe && this.tracks.size > 0) this.subscribe();
            return reply;
          }

          peerConnection(target) {
            const pc = new RTCPeerConnection({
              iceServers: this.iceServers,
              iceTransportPolicy: this.iceTransportPolicy,
              bundlePolicy: 'max-bundle',
            });
            pc.onicecandidate = (event) => {
              const candidate = event.candidate && event.candidate.candidate ? event.candidate.toJSON() : null;
              if (this.canTrickle[target]) this.sendCandidate(target, candidate);
              else this.heldCandidates[target].push(candidate);
            };
            pc.onconnectionstatechange = () => {
              this.emit('peerConnectionState', { target, state: pc.connectionState });
              if (pc.connectionState === 'failed') this.restartConnection(target);
            };
            return pc;
          }

          sendCandidate(target, candidate) {
            this.request('trickle', { target, candidate }).catch((error) => this.emit('error', error));
          }

          flushCandidates(target) {
            this.canTrickle[target] = true;
            for (const candidate of this.heldCandidates[target].splice(0)) this.sendCandidate(target, candidate);
          }

          async addRemoteCandidate(target, candidate) {
            const pc = target === 'publish' ? this.publisher : this.subscriber;
            if (!candidate) return;
            if (!pc || !pc.remoteDescription) {
              this.remoteCandidates[target].push(candidate);
              return;
            }
            try { await pc.addIceCandidate(candidate); } catch (error) { this.emit('error', error); }
          }

          async applyHeldRemoteCandidates(target, pc) {
            for (const candidate of this.remoteCandidates[target].splice(0)) {
              try { await pc.addIceCandidate(candidate); } catch (error) { this.emit('error', error); }
            }
          }

          // Publishes every track of a MediaStream, send-only, on its own peer connection.
          // With `simulcast`, video goes in three encodings (quarter, half and full size)
          // and each subscriber gets the one its preferences and link allow. With `codec`
          // ('vp8', 'vp9', 'h264', 'av1'), the video is offered in that codec alone.
          async publish(stream, { simulcast = false, codec } = {}) {
            if (this.publisher) throw new Error('already publishing');
            const pc = this.peerConnection('publish');
            this.publisher = pc;
            this.canTrickle.publish = false;
            this.codec = codec;
            for (const track of stream.getTracks()) this.addTransceiver(pc, track, stream, simulcast);
            const tracks = await this.offerPublication();
            await this.applyHeldRemoteCandidates('publish', pc);
            this.flushCandidates('publish');
            return tracks;
          }

          addTransceiver(pc, track, stream, simulcast) {
            const init = { direction: 'sendonly', streams: [stream] };
            if (simulcast && track.kind === 'video') {
              init.sendEncodings = [
                { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
                { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
                { rid: 'f', maxBitrate: 1500000 },
              ];
            }
            const transceiver = pc.addTransceiver(track, init);
            if (this.codec && track.kind === 'video' && transceiver.setCodecPreferences) {
              const all = RTCRtpReceiver.getCapabilities('video').codecs;
              const wanted = all.filter((c) => c.mimeType.toLowerCase() === `video/${this.codec.toLowerCase()}`);
              if (wanted.length === 0) throw new Error(`this browser cannot send ${this.codec}`);
              transceiver.setCodecPreferences([...wanted, ...all.filter((c) => c.mimeType.toLowerCase() === 'video/rtx')]);
            }
            return transceiver;
          }

          // Offers the publishing connection as it is now and applies the answer; the
          // server's reply lists every track the connection sends. `iceRestart` asks for
          // new ICE credentials (a network that changed).
          async offerPublication({ iceRestart = false } = {}) {
            const pc = this.publisher;
            await pc.setLocalDescription(await pc.createOffer({ iceRestart }));
            const reply = await this.request('publish', { sdp: pc.localDescription.sdp });
            await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
            this.published = reply.tracks;
            return reply.tracks;
          }

          // Adds a track (a screen share) to the live publishing connection.
          async addTrack(track, stream) {
            if (!this.publisher) throw new Error('not publishing');
            this.addTransceiver(this.publisher, track, stream || new MediaStream([track]), false);
            return this.offerPublication();
          }

          // Stops sending a track of the publishing connection; its subscribers lose it.
          async removeTrack(track) {
            if (!this.publisher) return [];
            const sender = this.publisher.getSenders().find((s) => s.track === track);
            if (sender) this.publisher.removeTrack(sender);
            return this.offerPublication();
          }

          // An ICE restart of both connections, for a network that changed: new
          // credentials, and media goes on over the old path until the new one is chosen.
          async restartIce() {
            await this.restartConnection('publish');
            await this.restartConnection('subscribe');
          }

          // An ICE restart of one connection: the publishing one offers new credentials;
          // the receiving one asks the server for its new offer. Done by itself when the
          // browser says the connection failed, or the server that it went silent.
          restartConnection(target) {
            if (target === 'publish') {
              if (!this.publisher) return Promise.resolve();
              return this.offerPublication({ iceRestart: true }).catch((error) => this.emit('error', error));
            }
            if (!this.subscriber) return Promise.resolve();
            this.subscriptions = this.subscriptions.then(async () => {
              const offer = await this.request('restart');
              await this.answerSubscription(this.subscriber, offer.sdp);
            }).catch((error) => this.emit('error', error));
            return this.subscriptions;
          }

          async unpublish() {
            if (!this.publisher) return;
            await this.request('unpublish');
            this.publisher.close();
            this.publisher = null;
            this.heldCandidates.publish = [];
            this.remoteCandidates.publish = [];
          }

          mute(muted, track) { return this.request('mute', { muted, track }); }

          // Receives the given tracks (every other participant's when omitted). Calls are
          // queued: one offer/answer exchange at a time.
          subscribe(tracks) {
            this.subscriptions = this.subscriptions
              .then(() => this.exchangeSubscription(tracks))
              .catch((error) => this.emit('error', error));
            return this.subscriptions;
          }

          // Stops receiving the given tracks: their sections of the receiving connection
          // become inactive ('unsubscribed' follows the exchange). Receiving every track
          // (autoSubscribe) leaves them out until subscribe() names them again.
          unsubscribe(tracks) {
            this.subscriptions = this.subscriptions.then(async () => {
              const offer = await this.request('unsubscribe', { tracks });
              await this.answerSubscription(this.subscriber, offer.sdp);
              this.emit('unsubscribed', { tracks });
            }).catch((error) => this.emit('error', error));
            return this.subscriptions;
          }

          // Stops or resumes sections of the receiving connection (all when `mids` is
          // left out), without renegotiation.
          pause(mids) { return this.request('pause', mids ? { mids } : {}); }
          resume(mids) { return this.request('resume', mids ? { mids } : {}); }

          // The section `mid` of the receiving connection shows another track of its
          // kind and codec from now on, without renegotiation.
          switchTrack(mid, track) { return this.request('switch', { mid, track }); }

          async exchangeSubscription(tracks) {
            const others = [...this.tracks.values()].filter((t) => t.participantId !== this.participantId);
            if (tracks === undefined && others.length === 0) return;
            const offer = await this.request('subscribe', tracks ? { tracks } : {});
            let pc = this.subscriber;
            if (!pc) {
              pc = this.peerConnection('subscribe');
              this.subscriber = pc;
              pc.ontrack = (event) => {
                const participantId = event.streams[0] ? event.streams[0].id : undefined;
                const mid = event.transceiver.mid;
                this.trackOwners.set(mid, participantId);
                this.emit('track', { track: event.track, streams: event.streams, participantId, mid, trackId: this.trackIdOf(mid) });
              };
            }
            await this.answerSubscription(pc, offer.sdp);
          }

          async answerSubscription(pc, sdp) {
            await pc.setRemoteDescription({ type: 'offer', sdp });
            await this.applyHeldRemoteCandidates('subscribe', pc);
            await pc.setLocalDescription(await pc.createAnswer());
            await this.request('answer', { sdp: pc.localDescription.sdp });
            this.flushCandidates('subscribe');
          }

          // The server's track id a section of the receiving connection carries (its
          // a=msid: participant id, then track id).
          trackIdOf(mid) {
            const sdp = this.subscriber && this.subscriber.remoteDescription ? this.subscriber.remoteDescription.sdp : '';
            for (const section of sdp.split('\r\nm=').slice(1)) {
              if (!section.includes(`\r\na=mid:${mid}\r\n`)) continue;
              const msid = /\r\na=msid:(\S+) (\S+)/.exec(section);
              return msid ? msid[2] : undefined;
            }
            return undefined;
          }

          // The most the subscriber wants of the track in its section `mid`: a simulcast
          // layer (`spatialLayer`, 0 the lowest), a frame rate (`temporalLayer`), or the
          // size it is shown at (`maxWidth`, `maxHeight` in device pixels). Left out: no limit.
          setLayers(mid, { spatialLayer, temporalLayer, maxWidth, maxHeight } = {}) {
            return this.request('layers', { mid, spatialLayer, temporalLayer, maxWidth, maxHeight });
          }

          async leave() {
            if (this.joined) {
              this.joined = false;
              try { await this.request('leave'); } catch (error) { /* the server may be gone */ }
            }
            for (const pc of [this.publisher, this.subscriber]) if (pc) pc.close();
            this.publisher = this.subscriber = null;
            this.participants.clear();
            this.tracks.clear();
            this.subscriptions = Promise.resolve();
            this.heldCandidates = { publish: [], subscribe: [] };
            this.remoteCandidates = { publish: [], subscribe: [] };
            this.canTrickle = { publish: false, subscribe: false };
          }

          close() {
            this.leave().finally(() => this.ws && this.ws.close());
          }

          // What the receiving connection decodes, by participant and kind: packets,
          // video frames decoded, audio samples received (what the tests watch).
          async receiveStats() {
            const result = {};
            if (!this.subscriber) return result;
            const report = await this.subscriber.getStats();
            report.forEach((stat) => {
              if (stat.type !== 'inbound-rtp') return;
              const owner = this.trackOwners.get(stat.mid) || 'unknown';
              result[owner] = result[owner] || {};
              const previous = result[owner][stat.kind] || { packetsReceived: 0, framesDecoded: 0, totalSamplesReceived: 0 };
              result[owner][stat.kind] = {
                packetsReceived: previous.packetsReceived + (stat.packetsReceived || 0),
                framesDecoded: previous.framesDecoded + (stat.framesDecoded || 0),
                totalSamplesReceived: previous.totalSamplesReceived + (stat.totalSamplesReceived || 0),
              };
              if (stat.kind === 'video') {
                Object.assign(result[owner].video, {
                  frameWidth: stat.frameWidth || 0, frameHeight: stat.frameHeight || 0,
                  framesPerSecond: stat.framesPerSecond || 0, freezeCount: stat.freezeCount || 0,
                  totalFreezesDuration: stat.totalFreezesDuration || 0,
                });
              }
            });
            return result;
          }

          // Each received video section by mid: size, frame rate, frames decoded, bytes,
          // codec and decoder (the demo page's tile overlays, and the codec tests).
          async videoByMid() {
            const result = {};
            if (!this.subscriber) return result;
            const report = await this.subscriber.getStats();
            report.forEach((stat) => {
              if (stat.type !== 'inbound-rtp' || stat.kind !== 'video') return;
              result[stat.mid] = {
                trackId: this.trackIdOf(stat.mid), participantId: this.trackOwners.get(stat.mid),
                frameWidth: stat.frameWidth || 0, frameHeight: stat.frameHeight || 0,
                framesPerSecond: stat.framesPerSecond || 0, framesDecoded: stat.framesDecoded || 0,
                bytesReceived: stat.bytesReceived || 0, codec: (report.get(stat.codecId) || {}).mimeType,
                decoderImplementation: stat.decoderImplementation, freezeCount: stat.freezeCount || 0,
              };
            });
            return result;
          }
        }
        """#
}
