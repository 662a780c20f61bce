"""A call through the RTC-server face, with this script as the call backend.

Starts the `sfu` server given on the command line with its callback URL pointing at an
HTTP server of this script (run inside a network namespace that has only `lo`). Then
plays the backend of docs/rtc-face.md for three users, each a headless Chromium tab:
`InitCall`, `Join` for each, `ReceiveVideoFrom` with each browser's own offer to
publish and with a receive-only offer per other user, every `OnIceCandidate` the
browsers gather; it hands each `ReceiveVideoAnswer` and `IceCandidate` the server
POSTs back to the right browser connection. Every browser must decode every other
one's video and receive its audio. The backend then records the call for 4 s
(`StartRecording`, `StopRecording`): each user is told `RecordingStarted` and
`RecordingFinished` for each of the three publishers, whose files (under
`--recordings-root`) must decode with libvpx and libopus without an error and last 4 ±
1.5 s. Then `Leave` for one user (the others are told) and
`CleanupCall` must leave no room, participant or transport in /metrics. Every callback
must carry a valid HMAC-SHA256 signature.

The same HTTP server receives the webhooks: it fails the first two POSTs (500), so the
first event arrives on its third attempt, and every webhook's signature must verify;
the call's events must come in order, from `room_started` to `room_finished`.

Prints one JSON object; exits non-zero on a failed check.
"""

import hashlib
import hmac
import http.server
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, wait_until  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
CALLBACK_PORT = PORT + 1
SECRET = "backend-shared-secret"
USERS = ["alice", "bob", "carol"]
CALL = "call-1"
result = {"checks": {}}
inbox = {user: queue.Queue() for user in USERS}
bad_signatures = []
webhooks = []
webhook_posts = []

PAGE_SCRIPT = """
window.rtc = {connections: {}, outgoing: [], async open(sender, publish) {
  const pc = new RTCPeerConnection();
  this.connections[sender] = pc;
  pc.onicecandidate = (e) => { if (e.candidate) this.outgoing.push({sender, candidate: e.candidate.toJSON()}); };
  if (publish) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 320, height: 240}});
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
  } else {
    pc.addTransceiver('audio', {direction: 'recvonly'});
    pc.addTransceiver('video', {direction: 'recvonly'});
  }
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}, async restart(sender) {
  const pc = this.connections[sender];
  await pc.setLocalDescription(await pc.createOffer({iceRestart: true}));
  return pc.localDescription.sdp;
}, ufrag(sender) {
  const sdp = this.connections[sender].remoteDescription.sdp;
  return /a=ice-ufrag:(\S+)/.exec(sdp)[1];
}, async answer(sender, sdp) {
  await this.connections[sender].setRemoteDescription({type: 'answer', sdp});
}, async candidate(sender, candidate) {
  await this.connections[sender].addIceCandidate(candidate);
}, take() { const all = this.outgoing; this.outgoing = []; return all; },
async received() {
  const out = {};
  for (const [sender, pc] of Object.entries(this.connections)) {
    const stats = await pc.getStats();
    let frames = 0, audio = 0;
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
                           if (s.type === 'inbound-rtp' && s.kind === 'audio') audio += s.packetsReceived || 0; });
    out[sender] = {frames, audio, state: pc.connectionState};
  }
  return out;
}};
"""


class Callback(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if self.headers.get("X-SwiftSFU-Signature") != expected:
            bad_signatures.append(self.headers.get("X-SwiftSFU-Signature"))
        if self.path == "/hook":
            webhook_posts.append(self.headers.get("X-SwiftSFU-Attempt"))
            if len(webhook_posts) <= 2:
                self.send_response(500)
                self.end_headers()
                return
            webhooks.append({**json.loads(body), "attempt": self.headers.get("X-SwiftSFU-Attempt")})
            self.send_response(204)
            self.end_headers()
            return
        message = json.loads(body)
        message["data"] = json.loads(message["jsonData"])
        if message["userId"] in inbox:
            inbox[message["userId"]].put(message)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *arguments):
        pass


def fail(reason):
    result["failure"] = reason
    try:
        result["metrics"] = {k: v for k, v in server.metrics().items() if "rtc" in k or "transports" in k}
    except OSError:
        pass
    print(json.dumps(result))
    sys.exit(1)


def post(name, user, data, ref=None):
    """POSTs one message; returns the server's reply message and the HTTP status."""
    body = json.dumps({"ref": ref or f"{name}-{user}-{time.monotonic_ns()}", "name": name,
                       "jsonData": json.dumps(data), "userId": user}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/rtc", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read()), response.status
    except urllib.error.HTTPError as error:
        return json.loads(error.read()), error.code


def expect_ack(name, user, data):
    reply, status = post(name, user, data)
    if reply["name"] != "Ack":
        fail(f"{name} from {user}: {status} {reply}")


pending = {user: [] for user in USERS}


def next_message(user, name, sender=None, limit=15):
    """The next callback message `name` for `user` (about `sender`), keeping the others."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for message in pending[user]:
            if message["name"] == name and (sender is None or message["data"].get("targetUserId") == sender):
                pending[user].remove(message)
                return message
        try:
            pending[user].append(inbox[user].get(timeout=0.2))
        except queue.Empty:
            pass
    fail(f"no {name} for {user} (from {sender}) within {limit} s")


def in_tab(user, script, *arguments):
    driver.switch_to.window(tabs[user])
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"Promise.resolve(({script})(...Array.from(arguments).slice(0, -1))).then(done, (e) => done({{error: String(e)}}));",
        *arguments)


def pump_candidates():
    """Browser candidates to the server; the server's (callbacks) to the browsers."""
    for user in USERS:
        for item in in_tab(user, "() => window.rtc.take()"):
            expect_ack("OnIceCandidate", user, {"callId": CALL, "senderUserId": item["sender"],
                                                "candidate": item["candidate"]})
        keep = []
        for message in pending[user]:
            if message["name"] == "IceCandidate":
                sender = message["data"]["senderUserId"]
                if sender in connected[user]:
                    in_tab(user, "(s, c) => window.rtc.candidate(s, c)", sender, message["data"]["candidate"])
                    continue
            keep.append(message)
        pending[user] = keep
        while not inbox[user].empty():
            pending[user].append(inbox[user].get())


def connect(user, sender):
    offer = in_tab(user, "(s, p) => window.rtc.open(s, p)", sender, sender == user)
    if isinstance(offer, dict):
        fail(f"{user} could not make an offer: {offer}")
    expect_ack("ReceiveVideoFrom", user, {"callId": CALL, "targetUserId": sender, "sdpOffer": offer})
    answer = next_message(user, "ReceiveVideoAnswer", sender)
    outcome = in_tab(user, "(s, sdp) => window.rtc.answer(s, sdp)", sender, answer["data"]["sdpAnswer"])
    if isinstance(outcome, dict) and "error" in outcome:
        fail(f"{user} rejected the answer for {sender}: {outcome['error']}")
    connected[user].add(sender)


callback_server = http.server.ThreadingHTTPServer(("127.0.0.1", CALLBACK_PORT), Callback)
threading.Thread(target=callback_server.serve_forever, daemon=True).start()
recordings = tempfile.mkdtemp(prefix="swiftsfu-rtc-recordings-")
server = Server(SERVER, PORT, "--rtc-callback-url", f"http://127.0.0.1:{CALLBACK_PORT}/callback",
                "--recordings-root", recordings,
                "--webhook-secret", SECRET, "--webhook-url", f"http://127.0.0.1:{CALLBACK_PORT}/hook")
driver = chromium()
tabs, connected = {}, {user: set() for user in USERS}
try:
    for index, user in enumerate(USERS):
        if index:
            driver.switch_to.new_window("tab")
        driver.get(f"http://127.0.0.1:{PORT}/health")
        driver.execute_script(PAGE_SCRIPT)
        tabs[user] = driver.current_window_handle

    expect_ack("InitCall", "alice", {"callId": CALL, "participants": USERS})
    created = next_message("alice", "CallCreated")
    result["checks"]["call_created"] = created["data"]["participants"] == USERS
    for user in USERS:
        expect_ack("Join", user, {"callId": CALL})
    added = next_message("carol", "UserAdded")
    result["checks"]["user_added"] = sorted(added["data"]["participants"]) == USERS

    # Everyone publishes, then receives each other user: six receiving connections.
    for user in USERS:
        connect(user, user)
    for user in USERS:
        for sender in USERS:
            if sender != user:
                connect(user, sender)
    pump_candidates()

    def everyone_decodes():
        pump_candidates()
        stats = {user: in_tab(user, "() => window.rtc.received()") for user in USERS}
        result["received"] = stats
        return all(stats[user][sender]["frames"] >= 30 and stats[user][sender]["audio"] >= 50
                   for user in USERS for sender in USERS if sender != user)

    result["checks"]["everyone_decodes"] = bool(wait_until(everyone_decodes, 30, every=0.5))
    if not result["checks"]["everyone_decodes"]:
        fail("not every browser decoded every other one")

    # Alice's network changes: she restarts ICE on her publishing connection and on the
    # one receiving Bob (a new offer of each, `createOffer({iceRestart: true})`, sent as
    # `ReceiveVideoFrom` again). Both go on, as the same connections, over new ICE
    # credentials; Bob keeps decoding her and she him. (A new server connection for the
    # restarted one would wait for a DTLS handshake the browser never starts: the video
    # from Bob would stop.)
    ufrags = {sender: in_tab("alice", "(s) => window.rtc.ufrag(s)", sender) for sender in ("alice", "bob")}
    frames = in_tab("alice", "() => window.rtc.received()")["bob"]["frames"]
    seen_by_bob = in_tab("bob", "() => window.rtc.received()")["alice"]["frames"]
    restarted = time.monotonic()
    for sender in ("alice", "bob"):
        offer = in_tab("alice", "(s) => window.rtc.restart(s)", sender)
        expect_ack("ReceiveVideoFrom", "alice", {"callId": CALL, "targetUserId": sender, "sdpOffer": offer})
        answer = next_message("alice", "ReceiveVideoAnswer", sender)
        outcome = in_tab("alice", "(s, sdp) => window.rtc.answer(s, sdp)", sender, answer["data"]["sdpAnswer"])
        if isinstance(outcome, dict) and "error" in outcome:
            fail(f"alice rejected the restart answer for {sender}: {outcome['error']}")

    def going_on():
        pump_candidates()
        mine = in_tab("alice", "() => window.rtc.received()")["bob"]
        theirs = in_tab("bob", "() => window.rtc.received()")["alice"]
        return mine["frames"] > frames + 30 and theirs["frames"] > seen_by_bob + 30 and mine["state"] == "connected"

    result["checks"]["ice_restart_goes_on"] = bool(wait_until(going_on, 10, every=0.25))
    result["ice_restart_seconds"] = round(time.monotonic() - restarted, 2)
    result["checks"]["ice_restart_new_credentials"] = all(
        in_tab("alice", "(s) => window.rtc.ufrag(s)", sender) != ufrag for sender, ufrag in ufrags.items())

    # The backend records the call for 4 s: everyone is told about each publisher.
    expect_ack("StartRecording", "alice", {"callId": CALL})
    started = [next_message("bob", "RecordingStarted") for _ in USERS]
    time.sleep(4)
    expect_ack("StopRecording", "alice", {"callId": CALL})
    finished = [next_message("bob", "RecordingFinished") for _ in USERS]
    recorded = {}
    for message in finished:
        data = message["data"]
        # No file (`null`) when the recording failed: its `failure` says why.
        path = data.get("file") or ""
        done = subprocess.run(["ffmpeg", "-v", "error", "-c:v", "libvpx", "-c:a", "libopus", "-i", path, "-f",
                               "null", "-"], capture_output=True, text=True, timeout=60) if path else None
        recorded[data["userId"]] = {"file": os.path.relpath(path, recordings) if path else None,
                                    "seconds": data.get("durationSeconds"), "codecs": sorted(data.get("codecs", [])),
                                    "errors": (done.stderr + done.stdout).strip()[-500:] if done else "no file",
                                    "failure": data.get("failure")}
    result["recorded"] = recorded
    result["checks"]["recorded"] = (
        sorted(m["data"]["userId"] for m in started) == USERS and sorted(recorded) == USERS
        and all(r["codecs"] == ["opus", "vp8"] and r["errors"] == "" and r["failure"] is None
                and abs((r["seconds"] or 0) - 4) <= 1.5 and (r["file"] or "").startswith(f"rtc_{CALL}/")
                for r in recorded.values()))
    if not result["checks"]["recorded"]:
        result["checks"]["recorded_problem"] = json.dumps({"started": [m["data"] for m in started], "recorded": recorded})

    # Bad input gets typed errors; the call goes on.
    errors = {
        "unknown_name": post("Dance", "alice", {"callId": CALL})[0],
        "missing_field": post("Join", "alice", {})[0],
        "unknown_call": post("Join", "alice", {"callId": "no-such-call"})[0],
        "record_unknown_call": post("StartRecording", "alice", {"callId": "no-such-call"})[0],
        "unknown_user": post("ReceiveVideoFrom", "alice", {"callId": CALL, "targetUserId": "mallory",
                                                           "sdpOffer": "v=0\r\n"})[0],
        "garbage_sdp": post("ReceiveVideoFrom", "alice", {"callId": CALL, "targetUserId": "bob",
                                                          "sdpOffer": "hello"})[0],
    }
    result["checks"]["error_codes"] = {k: json.loads(v["jsonData"])["code"] for k, v in errors.items()}

    expect_ack("Leave", "bob", {"callId": CALL})
    removed = next_message("alice", "UserRemoved")
    result["checks"]["user_removed"] = removed["data"]["userId"] == "bob" and "bob" not in removed["data"]["participants"]
    before = server.metrics()
    result["checks"]["transports_after_leave"] = before.get("sfu_transports")
    expect_ack("CleanupCall", "alice", {"callId": CALL})
    after = wait_until(lambda: (lambda m: m if m.get("sfu_rooms") == 0 and m.get("sfu_transports") == 0 else None)(
        server.metrics()), 10)
    result["checks"]["freed"] = after is not None and after.get("sfu_participants") == 0
    result["checks"]["bad_signatures"] = len(bad_signatures)

    def finished():
        return any(w["event"] == "room_finished" for w in webhooks)

    wait_until(finished, 10)
    events = [(w["event"], w.get("participantId")) for w in webhooks if w["room"] == f"rtc/{CALL}"]
    result["webhooks"] = events
    result["checks"]["webhook_first_attempt"] = int(webhooks[0]["attempt"]) if webhooks else None
    expected = {("room_started", None), ("participant_joined", "alice"), ("participant_joined", "bob"),
                ("participant_joined", "carol"), ("participant_left", "bob"), ("participant_left", "alice"),
                ("participant_left", "carol"), ("room_finished", None)}
    result["checks"]["webhook_events"] = (
        bool(events) and events[0][0] == "room_started" and events[-1][0] == "room_finished"
        and expected <= set(events)
        and sum(1 for event, _ in events if event == "track_published") == 6
        and not any(">" in (participant or "") for _, participant in events))
finally:
    driver.quit()
    code, _ = server.stop()
    callback_server.shutdown()
result["server_exit"] = code
print(json.dumps(result))
