"""What the Janus-face browser scripts share: the video stats script the janus.js page's
tabs answer, and one VideoRoom request over a fresh Janus session."""

import json

import websocket

# Both peer connections' video stats: what the publisher sends, what the subscriber gets.
STATS = """
const done = arguments[arguments.length - 1];
const pc = arguments[0] === "publisher" ? window.publisherPC() : window.subscriberPC();
if (!pc) { done(null); return; }
pc.getStats().then((stats) => {
  let found = null;
  stats.forEach((r) => {
    if (r.kind !== "video") return;
    if (r.type === "outbound-rtp" || r.type === "inbound-rtp") {
      found = {bytes: r.bytesSent || r.bytesReceived || 0, width: r.frameWidth || 0, height: r.frameHeight || 0,
               fps: r.framesPerSecond || 0, frames: r.framesDecoded || r.framesEncoded || 0,
               limitation: r.qualityLimitationReason || null, target: r.targetBitrate || null,
               freezes: r.freezeCount || 0, freezeSeconds: r.totalFreezesDuration || 0};
    }
  });
  stats.forEach((r) => {
    if (found && r.type === "candidate-pair" && r.nominated && r.state === "succeeded") {
      found.available = r.availableOutgoingBitrate || null;
    }
  });
  done(found);
}).catch(() => done(null));
"""



def janus_request(url, body):
    """One VideoRoom request over a fresh Janus session on `url`."""
    socket = websocket.create_connection(url, subprotocols=["janus-protocol"], timeout=10)
    try:
        def call(message):
            socket.send(json.dumps(message))
            while True:
                reply = json.loads(socket.recv())
                if reply.get("transaction") == message["transaction"] and reply.get("janus") != "ack":
                    return reply
        session = call({"janus": "create", "transaction": "r1"})["data"]["id"]
        handle = call({"janus": "attach", "session_id": session, "plugin": "janus.plugin.videoroom",
                       "transaction": "r2"})["data"]["id"]
        return call({"janus": "message", "session_id": session, "handle_id": handle, "transaction": "r3",
                     "body": body})
    finally:
        socket.close()
