"""Replays the Janus API requests of seed 002's `CallService.SFU.Janus` module (room
create with publishers / bitrate / fir_freq / audiocodec / videocodec / record /
rec_dir; publisher join with display and id; configure with audio/video and a JSEP
offer; subscriber join with feed), with what happens around them, against one server,
and records the shape of every reply and event.

The publisher is a real WebRTC peer (aiortc), so that its peer connection comes up and
the events that follow (`webrtcup`, `media`, `publishers`) are part of the transcript.

`replay(url)` returns the transcript: one entry per step, with the shapes of the
messages the step brought (order-free: Janus may send an event before its `ack`).
"""

import asyncio
import json
import queue
import threading
import time

import websocket
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

ROOM = 1_394_823_112  # :erlang.phash2("call-1", 2_147_483_647) in spirit: a 31-bit id
PUBLISHER_ID = 702_331_254
OBSERVER_ID = 1_180_054_441

# Values that are part of a message's shape, not data: kinds, outcomes, codes.
LITERAL_KEYS = {
    "janus", "videoroom", "configured", "started", "paused", "left", "switched", "type", "plugin", "warning",
    "exists", "permanent", "publisher", "error_code", "code", "audio_codec", "video_codec", "codec", "active",
    "send", "ready", "receiving", "unpublished", "leaving",
}


def shape(value, key=None):
    """A message with its data replaced by types: ids, names, SDP bodies and reasons
    aside, what two servers must agree on."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        shapes = []
        for element in value:
            element_shape = shape(element)
            if element_shape not in shapes:
                shapes.append(element_shape)
        return sorted(shapes, key=json.dumps)
    if key in LITERAL_KEYS and (isinstance(value, (str, bool)) or key in ("error_code", "code")):
        # "leaving": 42 (someone left) and "leaving": "ok" (you left) are different shapes.
        return value
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


class Connection:
    """One WebSocket of the Janus API; every message it receives is kept in order."""

    def __init__(self, url, subprotocol=True):
        self.socket = websocket.create_connection(url, subprotocols=["janus-protocol"] if subprotocol else None,
                                                  timeout=10)
        self.inbox = queue.Queue()
        self.transactions = 0
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        self.socket.settimeout(None)
        try:
            while True:
                self.inbox.put(json.loads(self.socket.recv()))
        except Exception:
            pass

    def send(self, message):
        self.transactions += 1
        message.setdefault("transaction", f"t{self.transactions:04d}")
        self.socket.send(json.dumps(message))
        return message["transaction"]

    def collect(self, transaction, until, settle=0.4, limit=10):
        """What arrives until `until(messages)` holds for this transaction's messages
        (for every message when `transaction` is None), then for `settle` seconds more
        (events the request caused for others)."""
        messages = []
        deadline = time.monotonic() + limit
        done_at = None
        while time.monotonic() < deadline:
            mine = [m for m in messages if transaction is None or m.get("transaction") == transaction]
            if done_at is None and until(mine):
                done_at = time.monotonic()
            if done_at is not None and time.monotonic() - done_at >= settle:
                break
            try:
                messages.append(self.inbox.get(timeout=0.05))
            except queue.Empty:
                pass
        return messages

    def close(self):
        self.socket.close()


def answered(messages):
    """A synchronous request is answered by one non-ack message."""
    return any(m.get("janus") != "ack" for m in messages)


def evented(messages):
    """An asynchronous request is answered by an ack and an event (or an error)."""
    return any(m.get("janus") in ("event", "error") for m in messages) and (
        any(m.get("janus") == "ack" for m in messages) or any(m.get("janus") == "error" for m in messages))


class Replay:
    def __init__(self, url):
        self.url = url
        self.transcript = []

    def step(self, name, connection, message, until=answered, settle=0.4, any_transaction=False):
        transaction = connection.send(message)
        if any_transaction:
            transaction = None
        messages = connection.collect(transaction, until, settle=settle)
        self.record(name, messages)
        return [m for m in messages if m.get("transaction") == transaction], messages

    def wait_for(self, name, connection, predicate, limit=15):
        """Unsolicited events until one satisfies `predicate`, then a moment more."""
        messages = []
        deadline = time.monotonic() + limit
        seen_at = None
        while time.monotonic() < deadline:
            if seen_at is None and any(predicate(m) for m in messages):
                seen_at = time.monotonic()
            if seen_at is not None and time.monotonic() - seen_at >= 1.5:
                break
            try:
                messages.append(connection.inbox.get(timeout=0.05))
            except queue.Empty:
                pass
        self.record(name, messages)
        return messages

    def record(self, name, messages):
        """The step's messages and their shapes, each shape once: Janus sometimes sends
        the same event twice."""
        shapes = []
        for message in messages:
            if shape(message) not in shapes:
                shapes.append(shape(message))
        self.transcript.append({"step": name, "shapes": sorted(shapes, key=json.dumps), "messages": messages})


def data_of(messages):
    for message in messages:
        if "plugindata" in message:
            return message["plugindata"]["data"], message.get("jsep")
    return None, None


async def replay(url):
    """The whole transcript. The steps wait in a thread of their own, so that aiortc's
    peer connection goes on in the event loop meanwhile."""
    loop = asyncio.get_running_loop()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    try:
        return await asyncio.to_thread(replay_steps, url, pc, loop)
    finally:
        await pc.close()


def replay_steps(url, pc, loop):
    """The seed's requests with explicit sessions and handles, as Janus needs them."""

    def wait(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)

    run = Replay(url)
    connection = Connection(url)
    try:
        run.step("info", connection, {"janus": "info"})
        created, _ = run.step("create session", connection, {"janus": "create"})
        session = created[0]["data"]["id"]

        def attach(name):
            replies, _ = run.step(name, connection, {"janus": "attach", "session_id": session,
                                                     "plugin": "janus.plugin.videoroom"})
            return replies[0]["data"]["id"]

        admin, publisher, observer, subscriber = (attach(f"attach {role}") for role in
                                                  ("admin", "publisher", "observer", "subscriber"))

        def message(name, handle, body, jsep=None, until=evented, settle=0.4):
            request = {"janus": "message", "session_id": session, "handle_id": handle, "body": body}
            if jsep is not None:
                request["jsep"] = jsep
            return run.step(name, connection, request, until=until, settle=settle)

        # CallService.SFU.Janus.create_room
        message("create room (seed)", admin, {
            "request": "create", "room": ROOM, "description": "QuikApp Call call-1", "publishers": 50,
            "bitrate": 512000, "fir_freq": 10, "audiocodec": "opus", "videocodec": "vp8,h264", "record": False,
            "rec_dir": "/recordings/call-1"}, until=answered)
        message("exists", admin, {"request": "exists", "room": ROOM}, until=answered)
        replies, _ = message("list", admin, {"request": "list"}, until=answered)
        # Only this test's room is compared: Janus lists its own sample rooms too.
        entry = [room for room in data_of(replies)[0]["list"] if room["room"] == ROOM]
        run.transcript[-1]["shapes"] = [shape(entry)]
        # CallService.SFU.Janus.join_room
        message("join publisher (seed)", publisher, {"request": "join", "room": ROOM, "ptype": "publisher",
                                                     "display": "user-1", "id": PUBLISHER_ID})
        message("join observer", observer, {"request": "join", "room": ROOM, "ptype": "publisher",
                                            "display": "user-2", "id": OBSERVER_ID})
        # CallService.SFU.Janus.publish, with a real peer behind the offer.
        wait(pc.setLocalDescription(wait(pc.createOffer())))
        # aiortc lists sha-256, sha-384 and sha-512 fingerprints; Janus checks only the
        # last one against a sha-256 digest. A browser sends one sha-256 fingerprint: so
        # does this offer.
        offer = "".join(line for line in pc.localDescription.sdp.splitlines(keepends=True)
                        if not line.startswith("a=fingerprint:") or line.startswith("a=fingerprint:sha-256"))
        replies, _ = message("configure with offer (seed)", publisher, {"request": "configure", "audio": True,
                                                                        "video": True},
                             jsep={"type": "offer", "sdp": offer}, settle=0)
        _, answer = data_of(replies)
        if answer is None:
            raise RuntimeError(f"configure gave no answer: {replies}")
        wait(pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer")))
        run.step("trickle completed", connection, {"janus": "trickle", "session_id": session,
                                                   "handle_id": publisher, "candidate": {"completed": True}},
                 until=bool, settle=0)
        # The peer connection comes up: the publisher hears webrtcup and media, the
        # observer hears of the new publisher.
        run.wait_for("publisher up", connection, lambda m: m.get("janus") == "media" and m.get("type") == "video")
        message("listparticipants", admin, {"request": "listparticipants", "room": ROOM}, until=answered)
        # CallService.SFU.Janus.subscribe
        message("join subscriber with feed (seed)", subscriber, {"request": "join", "room": ROOM,
                                                                 "ptype": "subscriber", "feed": PUBLISHER_ID})
        message("join subscriber twice", subscriber, {"request": "join", "room": ROOM, "ptype": "subscriber",
                                                      "feed": PUBLISHER_ID})
        message("unpublish", publisher, {"request": "unpublish"}, settle=1.5)
        message("leave", publisher, {"request": "leave"}, settle=1.0)
        message("destroy room", admin, {"request": "destroy", "room": ROOM}, until=answered, settle=1.0)
        run.step("keepalive", connection, {"janus": "keepalive", "session_id": session}, until=bool)
        run.step("detach", connection, {"janus": "detach", "session_id": session, "handle_id": subscriber},
                 settle=1.5)
        run.step("destroy session", connection, {"janus": "destroy", "session_id": session}, settle=0.6)
    finally:
        connection.close()
    bad_input(url, run)
    implicit(url, run)
    return run.transcript


def bad_input(url, run):
    """Requests with missing, wrong-typed and oversized fields, and the error each gets."""
    connection = Connection(url)
    try:
        created, _ = run.step("bad: create session", connection, {"janus": "create"})
        session = created[0]["data"]["id"]
        replies, _ = run.step("bad: attach", connection, {"janus": "attach", "session_id": session,
                                                          "plugin": "janus.plugin.videoroom"})
        handle = replies[0]["data"]["id"]
        core = [
            ("missing transaction", {"janus": "create", "transaction": None}),
            ("missing janus", {"session_id": session}),
            ("janus not a string", {"janus": 12}),
            ("unknown verb", {"janus": "teleport"}),
            ("message at the root", {"janus": "message", "body": {"request": "list"}, "handle_id": handle}),
            ("unknown session", {"janus": "keepalive", "session_id": 4242}),
            ("session id a string", {"janus": "keepalive", "session_id": "forty"}),
            ("unknown handle", {"janus": "message", "session_id": session, "handle_id": 4242,
                                "body": {"request": "list"}}),
            ("attach without plugin", {"janus": "attach", "session_id": session}),
            ("attach unknown plugin", {"janus": "attach", "session_id": session, "plugin": "janus.plugin.nope"}),
            ("message without body", {"janus": "message", "session_id": session, "handle_id": handle}),
            ("body not an object", {"janus": "message", "session_id": session, "handle_id": handle,
                                    "body": "list"}),
            ("jsep of unknown type", {"janus": "message", "session_id": session, "handle_id": handle,
                                      "body": {"request": "configure"}, "jsep": {"type": "bogus", "sdp": "v=0"}}),
            ("trickle without candidate", {"janus": "trickle", "session_id": session, "handle_id": handle}),
        ]
        for name, request in core:
            if request.get("transaction", "") is None:
                request = {k: v for k, v in request.items() if k != "transaction"}
                connection.socket.send(json.dumps(request))
                run.record("bad: " + name, connection.collect(None, lambda _: False, settle=0, limit=1.0))
                continue
            run.step("bad: " + name, connection, request, until=bool, any_transaction=True)

        def message(name, body, until):
            run.step("bad: " + name, connection, {"janus": "message", "session_id": session, "handle_id": handle,
                                                  "body": body}, until=until)

        message("no request", {"room": 1}, answered)
        message("unknown request", {"request": "teleport"}, answered)
        message("create with room a string", {"request": "create", "room": "abc"}, answered)
        message("create with publishers a string", {"request": "create", "publishers": "many"}, answered)
        message("create room", {"request": "create", "room": 5150}, answered)
        message("create it again", {"request": "create", "room": 5150}, answered)
        message("exists without room", {"request": "exists"}, answered)
        message("destroy unknown room", {"request": "destroy", "room": 999}, answered)
        message("join unknown room", {"request": "join", "room": 999, "ptype": "publisher"}, evented)
        message("join without ptype", {"request": "join", "room": 5150}, evented)
        message("join with a bad ptype", {"request": "join", "room": 5150, "ptype": "spectator"}, evented)
        message("subscribe to unknown feed", {"request": "join", "room": 5150, "ptype": "subscriber",
                                              "feed": 31337}, evented)
        message("configure before joining", {"request": "configure", "audio": True}, evented)
        message("destroy the room", {"request": "destroy", "room": 5150}, answered)
        run.step("bad: destroy session", connection, {"janus": "destroy", "session_id": session})
    finally:
        connection.close()


def implicit(url, run):
    """The seed's requests exactly as it sends them: `message` with no session_id and no
    handle_id. Janus answers 457; SwiftSFU serves them (its declared extension)."""
    connection = Connection(url)
    try:
        for name, body in [
            ("implicit: create room (seed)", {"request": "create", "room": ROOM + 1, "description": "QuikApp Call 2",
                                              "publishers": 50, "bitrate": 512000, "fir_freq": 10,
                                              "audiocodec": "opus", "videocodec": "vp8,h264", "record": False,
                                              "rec_dir": "/recordings/call-2"}),
            ("implicit: join publisher (seed)", {"request": "join", "room": ROOM + 1, "ptype": "publisher",
                                                 "display": "user-1", "id": PUBLISHER_ID}),
        ]:
            run.step(name, connection, {"janus": "message", "body": body},
                     until=lambda messages: any(m.get("janus") in ("success", "event", "error") for m in messages))
    finally:
        connection.close()
