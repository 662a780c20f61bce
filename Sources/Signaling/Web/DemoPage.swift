/// The demo page served at `/`: join a room by name, publish camera and microphone,
/// see and hear everyone else, leave. Embedded so that the server needs no files on
/// disk. `?room=…&name=…&autojoin=1` joins without a click (the browser tests use it).
enum DemoPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>SwiftSFU</title>
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
        const state = { client: null, stream: null, tiles: new Map(), micMuted: false, cameraMuted: false };
        window.sfuDemo = state;
        state.stats = () => (state.client ? state.client.receiveStats() : {});
        state.participantIds = () => [...state.tiles.keys()].filter((id) => id !== 'local');

        fetch('/health').then((r) => r.json()).then((h) => {
          $('health').textContent = `server ${h.status}, version ${h.version}: ` +
            `${h.media_server.active_rooms} rooms, ${h.media_server.total_participants} participants`;
        }).catch(() => { $('health').textContent = 'health check failed'; });

        function status(text) { $('status').textContent = text; }

        function tile(id, name) {
          let entry = state.tiles.get(id);
          if (!entry) {
            const figure = document.createElement('figure');
            figure.dataset.participant = id;
            const video = document.createElement('video');
            video.autoplay = true;
            video.playsInline = true;
            if (id === 'local') video.muted = true;
            const caption = document.createElement('figcaption');
            figure.append(video, caption);
            $('grid').append(figure);
            entry = { figure, video, caption, stream: new MediaStream() };
            video.srcObject = entry.stream;
            state.tiles.set(id, entry);
          }
          if (name !== undefined) entry.caption.textContent = name || id;
          return entry;
        }

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
          client.addEventListener('trackUnpublished', (e) => {
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
          client.addEventListener('track', (e) => {
            const participant = client.participants.get(e.detail.participantId);
            const entry = tile(e.detail.participantId, participant ? participant.displayName : undefined);
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
          state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
          const local = tile('local', `${name || 'You'} (you)`);
          for (const track of state.stream.getTracks()) local.stream.addTrack(track);
          // Simulcast unless ?simulcast=0: each viewer gets the size its tile and link need.
          state.published = await client.publish(state.stream, { simulcast: params.get('simulcast') !== '0' });
          status(`Publishing in “${room}”.`);
        }

        async function leave() {
          state.joined = false;
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
        if (params.get('autojoin') === '1') $('join').requestSubmit();
        </script>
        </body>
        </html>
        """#
}
