/// The demo page served at `/`, embedded so that the server needs no files on disk.
enum DemoPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>SwiftSFU</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>
        </head>
        <body>
        <h1>SwiftSFU</h1>
        <p>A selective forwarding unit for WebRTC group calls.</p>
        <p id="health">Checking server health…</p>
        <script>
        fetch('/health').then(r => r.json()).then(h => {
          document.getElementById('health').textContent =
            `Server ${h.status}, version ${h.version}: ${h.media_server.active_rooms} rooms, ` +
            `${h.media_server.total_participants} participants.`;
        }).catch(e => { document.getElementById('health').textContent = 'Health check failed: ' + e; });
        </script>
        </body>
        </html>
        """
}
