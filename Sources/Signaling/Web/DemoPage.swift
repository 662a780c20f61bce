/// The demo page served at `/`: join a room by name, publish camera and microphone,
/// see and hear everyone else in a tile each (with what is received: size, frame rate,
/// bitrate, simulcast layer), turn the camera and microphone off and on, share a
/// screen, leave. Embedded so that the server needs no files on disk.
/// `?room=…&name=…&autojoin=1` joins without a click (the browser tests use it);
/// `codec=vp9|h264|av1` sends video in that codec; `simulcast=0` in one encoding;
/// `fakescreen=1` shares a moving canvas instead of a screen (headless browsers have none).
enum DemoPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>SwiftSFU</title>
        <link rel="icon" href="data:,">
        <style>
          :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
          body { max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem; }
          header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
          h1 { margin: 0; font-size: 1.4rem; }
          #health { color: GrayText; font-size: .9rem; }
          form, .controls { display: flex; gap: .5rem; flex-wrap: wrap; margin: 1rem 0; align-items: center; }
          input { padding: .4rem .6rem; font-size: 1rem; }
          button { padding: .4rem .9rem; font-size: 1rem; cursor: pointer; }
          #grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: .75rem; }
          figure { margin: 0; position: relative; background: #111; border-radius: .5rem; overflow: hidden;
                   outline: 3px solid transparent; transition: outline-color .2s; }
          figure.talking { outline-color: #2e9d4f; }
          video { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; display: block; }
          figcaption { position: absolute; left: .5rem; bottom: .4rem; color: #fff; font-size: .9rem;
                       text-shadow: 0 0 3px #000; }
          .stats { position: absolute; right: .4rem; top: .3rem; color: #fff; font: .75rem ui-monospace, monospace;
                   background: rgb(0 0 0 / .45); padding: .1rem .35rem; border-radius: .25rem; }
          .stats:empty { display: none; }
          figure[data-participant^="screen"] video, figure[data-participant="local-screen"] video {
            object-fit: contain; background: #000; }
          #status { min-height: 1.3rem; }
          .hidden { display: none !important; }
        </style>
        </head>
        <body>
        <header><h1>SwiftSFU</h1><span id="health">Checking the server…</span></header>
        <form id="join">
          <input id="room" name="room" placeholder="Room" required maxlength="128" value="demo">
          <input id="name" name="name" placeholder="Your name" maxlength="100">
          <button type="submit">Join</button>
        </form>
        <div class="controls hidden" id="controls">
          <strong id="roomTitle"></strong>
          <button id="mic" type="button">Mute microphone</button>
          <button id="camera" type="button">Stop camera</button>
          <button id="screen" type="button">Share screen</button>
          <button id="leave" type="button">Leave</button>
        </div>
        <p id="status"></p>
        <div id="grid"></div>
        <script type="module">
        import { SFUClient } from '/sfu-client.js';

        const $ = (id) => document.getElementById(id);
        const params = new URLSearchParams(location.search);
        if (params.get('room')) $('room').value = params.get('room');
        $('name').value = params.get('name') || localStorage.getItem('sfu-name') || '';
        const state = {
          client: null, stream: null, tiles: new Map(), micMuted: false, cameraMuted: false, layers: new Map(),
          screen: null,
        };
        window.sfuDemo = state;
        state.stats = () => (state.client ? state.client.receiveStats() : {});
        state.participantIds = () => [...state.tiles.keys()].filter((id) => id !== 'local' && !id.includes('screen'));
        state.tileIds = () => [...state.tiles.keys()];
        state.videoByMid = () => (state.client ? state.client.videoByMid() : {});
        state.restartIce = () => state.client.restartIce();
        state.refusedTracks = () => state.refused || [];

        fetch('/health').then((r) => r.json()).then((h) => {
          $('health').textContent = `server ${h.status}, version ${h.version}: ` +
            `${h.media_server.active_rooms} rooms, ${h.media_server.total_participants} participants`;
        }).catch(() => { $('health').textContent = 'health check failed'; });

        function status(text) { $('status').textContent = text; }

        // A tile: a participant's camera and microphone (keyed by participant id), or a
        // screen share (keyed `screen:<track id>`, a second video track of a participant).
        function tile(id, name) {
          let entry = state.tiles.get(id);
          if (!entry) {
            const figure = document.createElement('figure');
            figure.dataset.participant = id;
            const video = document.createElement('video');
            video.autoplay = true;
            video.playsInline = true;
            video.muted = id === 'local' || id.startsWith('screen:') || id === 'local-screen';
            const caption = document.createElement('figcaption');
            const stats = document.createElement('div');
            stats.className = 'stats';
            figure.append(video, caption, stats);
            $('grid').append(figure);
            entry = { figure, video, caption, stats, stream: new MediaStream() };
            video.srcObject = entry.stream;
            state.tiles.set(id, entry);
          }
          if (name !== undefined) entry.caption.textContent = name || id;
          return entry;
        }

        // Whether `trackId` is a screen share: a video track of its participant other
        // than the first one it published (its camera).
        function isScreenShare(participantId, trackId) {
          const videos = [...state.client.tracks.values()]
            .filter((t) => t.participantId === participantId && t.kind === 'video')
            .sort((a, b) => Number(a.mid) - Number(b.mid));
          return videos.length > 1 && trackId !== undefined && videos[0].id !== trackId;
        }

        // What each tile receives, once a second: size, frame rate, bitrate, layer.
        async function showStats() {
          if (!state.client) return;
          const now = performance.now();
          const byMid = await state.client.videoByMid().catch(() => ({}));
          for (const entry of state.tiles.values()) {
            const video = entry.mid !== undefined ? byMid[entry.mid] : undefined;
            if (!video) { entry.stats.textContent = entry.refused || ''; continue; }
            const seconds = entry.lastAt ? (now - entry.lastAt) / 1000 : 0;
            const kbps = seconds > 0 ? Math.round((video.bytesReceived - entry.lastBytes) * 8 / seconds / 1000) : 0;
            entry.lastAt = now;
            entry.lastBytes = video.bytesReceived;
            const layer = state.layers.get(entry.mid);
            entry.stats.textContent = `${video.frameWidth}×${video.frameHeight} · ${Math.round(video.framesPerSecond)} fps` +
              (seconds > 0 ? ` · ${kbps} kbit/s` : '') + (layer !== undefined ? ` · layer ${layer}` : '') +
              (video.codec ? ` · ${video.codec.replace('video/', '')}` : '');
          }
        }
        setInterval(showStats, 1000);

        function removeTile(id) {
          const entry = state.tiles.get(id);
          if (!entry) return;
          if (entry.sizeObserver) entry.sizeObserver.disconnect();
          entry.figure.remove();
          state.tiles.delete(id);
        }

        // Tells the server the size each remote video is shown at, so that of a simulcast
        // track it sends the smallest encoding that covers it.
        function followSize(entry, mid) {
          entry.mid = mid;
          if (entry.sizeObserver) return;
          let timer = null;
          entry.sizeObserver = new ResizeObserver(() => {
            clearTimeout(timer);
            timer = setTimeout(() => {
              const ratio = window.devicePixelRatio || 1;
              const maxWidth = Math.max(1, Math.round(entry.video.clientWidth * ratio));
              const maxHeight = Math.max(1, Math.round(entry.video.clientHeight * ratio));
              if (!state.client || (entry.sentWidth === maxWidth && entry.sentHeight === maxHeight)) return;
              entry.sentWidth = maxWidth;
              entry.sentHeight = maxHeight;
              state.client.setLayers(entry.mid, { maxWidth, maxHeight }).catch(() => {});
            }, 300);
          });
          entry.sizeObserver.observe(entry.video);
        }

        async function join(room, name) {
          localStorage.setItem('sfu-name', name);
          const client = new SFUClient();
          state.client = client;
          client.addEventListener('participantJoined', (e) =>
            tile(e.detail.participant.id, e.detail.participant.displayName));
          client.addEventListener('participantLeft', (e) => removeTile(e.detail.participantId));
          client.addEventListener('unsubscribed', (e) => {
            for (const id of e.detail.tracks) if (state.tiles.has(`screen:${id}`)) removeTile(`screen:${id}`);
          });
          client.addEventListener('trackUnpublished', (e) => {
            if (state.tiles.has(`screen:${e.detail.track.id}`)) return removeTile(`screen:${e.detail.track.id}`);
            const entry = state.tiles.get(e.detail.track.participantId);
            if (!entry) return;
            for (const track of entry.stream.getTracks()) {
              if (track.kind === e.detail.track.kind) entry.stream.removeTrack(track);
            }
          });
          client.addEventListener('talking', (e) => {
            const id = e.detail.participantId === client.participantId ? 'local' : e.detail.participantId;
            const entry = state.tiles.get(id);
            if (entry) entry.figure.classList.toggle('talking', e.detail.talking);
          });
          // A track this browser cannot receive (its codec): said on the sender's tile.
          client.addEventListener('trackRefused', (e) => {
            const entry = tile(e.detail.track.participantId);
            entry.refused = `cannot receive ${e.detail.track.codec.toUpperCase()}`;
            entry.stats.textContent = entry.refused;
            state.refused = (state.refused || []).concat([e.detail.track]);
          });
          client.addEventListener('layerChanged', (e) => {
            if (e.detail.spatialLayer !== undefined) state.layers.set(e.detail.mid, e.detail.spatialLayer);
          });
          client.addEventListener('track', (e) => {
            const participant = client.participants.get(e.detail.participantId);
            const name = participant ? participant.displayName || participant.id : undefined;
            if (e.detail.track.kind === 'video' && isScreenShare(e.detail.participantId, e.detail.trackId)) {
              const screen = tile(`screen:${e.detail.trackId}`, name === undefined ? undefined : `${name} (screen)`);
              for (const old of screen.stream.getTracks()) screen.stream.removeTrack(old);
              screen.stream.addTrack(e.detail.track);
              screen.mid = e.detail.mid;
              screen.video.play().catch(() => {});
              return;
            }
            const entry = tile(e.detail.participantId, name);
            for (const old of entry.stream.getTracks()) {
              if (old.kind === e.detail.track.kind) entry.stream.removeTrack(old);
            }
            entry.stream.addTrack(e.detail.track);
            entry.video.play().catch(() => {});
            if (e.detail.track.kind === 'video') followSize(entry, e.detail.mid);
          });
          client.addEventListener('closed', () => { if (state.joined) { status('The server closed the connection.'); leave(); } });
          client.addEventListener('error', (e) => console.warn('SwiftSFU:', e.detail));
          status('Connecting…');
          await client.connect();
          const reply = await client.join(room, { displayName: name || undefined });
          state.joined = true;
          for (const participant of reply.participants) tile(participant.id, participant.displayName);
          $('join').classList.add('hidden');
          $('controls').classList.remove('hidden');
          $('roomTitle').textContent = `Room “${room}”`;
          status('Starting camera and microphone…');
          // The camera at 1280x720 unless ?camera=WIDTHxHEIGHT asks for another size.
          const [width, height] = (params.get('camera') || '').split('x').map(Number);
          state.stream = await navigator.mediaDevices.getUserMedia({
            audio: true, video: { width: width || 1280, height: height || 720 },
          });
          const local = tile('local', `${name || 'You'} (you)`);
          for (const track of state.stream.getTracks()) local.stream.addTrack(track);
          // Simulcast unless ?simulcast=0: each viewer gets the size its tile and link need.
          state.published = await client.publish(state.stream, {
            simulcast: params.get('simulcast') !== '0', codec: params.get('codec') || undefined,
          });
          status(`Publishing in “${room}”.`);
        }

        // A moving canvas, for browsers without a screen to share (headless ones).
        function canvasScreen() {
          const canvas = document.createElement('canvas');
          canvas.width = 1280;
          canvas.height = 720;
          const context = canvas.getContext('2d');
          let frame = 0;
          const timer = setInterval(() => {
            frame += 1;
            context.fillStyle = '#1d3557';
            context.fillRect(0, 0, canvas.width, canvas.height);
            context.fillStyle = '#f1c453';
            context.fillRect((frame * 9) % canvas.width, 300, 160, 160);
            context.font = '48px sans-serif';
            context.fillText(`shared screen ${frame}`, 40, 80);
          }, 33);
          const track = canvas.captureStream(30).getVideoTracks()[0];
          track.addEventListener('ended', () => clearInterval(timer));
          return track;
        }

        async function shareScreen() {
          if (state.screen) {
            const track = state.screen;
            state.screen = null;
            track.stop();
            removeTile('local-screen');
            $('screen').textContent = 'Share screen';
            state.published = await state.client.removeTrack(track);
            return;
          }
          let track;
          if (params.get('fakescreen') === '1') {
            track = canvasScreen();
          } else {
            const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
            track = stream.getVideoTracks()[0];
          }
          state.screen = track;
          track.addEventListener('ended', () => { if (state.screen === track) shareScreen(); });
          tile('local-screen', 'Your screen').stream.addTrack(track);
          $('screen').textContent = 'Stop sharing';
          state.published = await state.client.addTrack(track);
        }
        state.shareScreen = shareScreen;

        async function leave() {
          state.joined = false;
          if (state.screen) state.screen.stop();
          state.screen = null;
          $('screen').textContent = 'Share screen';
          if (state.client) state.client.close();
          state.client = null;
          if (state.stream) for (const track of state.stream.getTracks()) track.stop();
          state.stream = null;
          for (const id of [...state.tiles.keys()]) removeTile(id);
          $('join').classList.remove('hidden');
          $('controls').classList.add('hidden');
          status('You left the room.');
        }

        $('join').addEventListener('submit', (event) => {
          event.preventDefault();
          join($('room').value.trim(), $('name').value.trim()).catch((error) => {
            status(`Could not join: ${error.message}`);
            leave();
          });
        });
        $('leave').addEventListener('click', leave);
        // Muting both stops the local track and asks the server to stop forwarding it.
        async function mute(kind, muted) {
          for (const track of state.stream.getTracks()) if (track.kind === kind) track.enabled = !muted;
          const published = (state.published || []).find((track) => track.kind === kind);
          if (published) await state.client.mute(muted, published.id).catch(() => {});
        }
        $('mic').addEventListener('click', async () => {
          state.micMuted = !state.micMuted;
          await mute('audio', state.micMuted);
          $('mic').textContent = state.micMuted ? 'Unmute microphone' : 'Mute microphone';
        });
        $('camera').addEventListener('click', async () => {
          state.cameraMuted = !state.cameraMuted;
          await mute('video', state.cameraMuted);
          $('camera').textContent = state.cameraMuted ? 'Start camera' : 'Stop camera';
        });
        $('screen').addEventListener('click', () => shareScreen().catch((error) => status(`Cannot share: ${error.message}`)));
        if (params.get('autojoin') === '1') $('join').requestSubmit();
        </script>
        </body>
        </html>
        """#
}
