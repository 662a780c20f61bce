"""Signaling for the Python peers of the interop matrix (aiortc, GStreamer webrtcbin):
the Janus API's VideoRoom over a WebSocket (subprotocol janus-protocol) and SwiftSFU's
native protocol, each as one session per peer connection with the same async methods:

    publish(offer) -> answer        subscribe() -> offer        answer(sdp)
    trickle(candidate, mline)       candidates: an asyncio.Queue of (candidate, mline)
    close()

A candidate of None is end-of-candidates, both ways.
"""

import asyncio
import itertools
import json
import threading

import websocket

LIMIT = 10


class Socket:
    """One WebSocket read by a thread of its own; messages reach `route` on the loop."""

    def __init__(self, url, subprotocols=None):
        self.loop = asyncio.get_running_loop()
        self.connection = websocket.create_connection(url, timeout=LIMIT, subprotocols=subprotocols)
        # The reader waits as long as the session lives (the connect alone is limited).
        self.connection.settimeout(None)
        self.replies = {}
        self.candidates = asyncio.Queue()
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        try:
            while True:
                message = json.loads(self.connection.recv())
                self.loop.call_soon_threadsafe(self.route, message)
        except Exception:
            pass

    def reply_to(self, key, message):
        queue = self.replies.get(key)
        if queue is not None:
            queue.put_nowait(message)

    async def exchange(self, key, message, accept):
        """Sends `message`; returns the first reply under `key` that `accept` takes
        (`accept` returns True, False to wait on, or raises). Replies queue: a Janus
        `event` can arrive right behind its `ack`."""
        queue = asyncio.Queue()
        self.replies[key] = queue
        self.send(message)
        try:
            async with asyncio.timeout(LIMIT):
                while True:
                    reply = await queue.get()
                    if accept(reply):
                        return reply
        finally:
            self.replies.pop(key, None)

    def send(self, message):
        with self.lock:
            self.connection.send(json.dumps(message))

    def close(self):
        try:
            self.connection.close()
        except Exception:
            pass


class JanusSession(Socket):
    """A Janus session with one VideoRoom handle."""

    @classmethod
    async def open(cls, url, room, feed=None):
        self = cls(url, subprotocols=["janus-protocol"])
        self.room, self.feed = room, feed
        created = await self.request({"janus": "create"}, "success")
        self.session = created["data"]["id"]
        attached = await self.request({"janus": "attach", "plugin": "janus.plugin.videoroom",
                                       "session_id": self.session}, "success")
        self.handle = attached["data"]["id"]
        self.keeping = asyncio.ensure_future(self.keep_alive())
        return self

    def route(self, message):
        if message.get("janus") == "trickle":
            candidate = message.get("candidate") or {}
            if candidate.get("completed") or not candidate.get("candidate"):
                self.candidates.put_nowait((None, 0))
            else:
                self.candidates.put_nowait((candidate["candidate"], candidate.get("sdpMLineIndex", 0)))
        elif "transaction" in message:
            self.reply_to(message["transaction"], message)

    async def keep_alive(self):
        while True:
            await asyncio.sleep(20)
            self.send({"janus": "keepalive", "session_id": self.session, "transaction": f"k{next(self.counter)}"})

    async def request(self, message, want):
        transaction = f"t{next(self.counter)}"
        message["transaction"] = transaction

        def accept(reply):
            if reply.get("janus") == "error":
                raise RuntimeError(f"janus error: {reply.get('error')}")
            if reply.get("janus") != want:
                return False
            error = reply.get("plugindata", {}).get("data", {}).get("error")
            if error:
                raise RuntimeError(f"videoroom error: {error}")
            return True

        return await self.exchange(transaction, message, accept)

    async def message(self, body, jsep=None, want="event"):
        message = {"janus": "message", "session_id": self.session, "handle_id": self.handle, "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self.request(message, want)
        return reply.get("plugindata", {}).get("data", {}), reply.get("jsep")

    async def create_room(self):
        await self.message({"request": "create", "room": self.room, "publishers": 4}, want="success")

    async def publish(self, offer):
        joined, _ = await self.message({"request": "join", "ptype": "publisher", "room": self.room,
                                        "display": "python"})
        self.feed = joined["id"]
        _, jsep = await self.message({"request": "publish", "audio": True, "video": True},
                                     {"type": "offer", "sdp": offer})
        return jsep["sdp"]

    async def subscribe(self):
        _, jsep = await self.message({"request": "join", "ptype": "subscriber", "room": self.room, "feed": self.feed})
        return jsep["sdp"]

    async def answer(self, sdp):
        await self.message({"request": "start", "room": self.room}, {"type": "answer", "sdp": sdp})

    async def trickle(self, candidate, mline=0):
        payload = {"completed": True} if candidate is None else {"candidate": candidate, "sdpMLineIndex": mline}
        await self.request({"janus": "trickle", "session_id": self.session, "handle_id": self.handle,
                            "candidate": payload}, "ack")

    async def close(self):
        self.keeping.cancel()
        try:
            await self.request({"janus": "destroy", "session_id": self.session}, "success")
        except Exception:
            pass
        Socket.close(self)


class NativeSession(Socket):
    """A participant of the native protocol with one peer connection (`target`)."""

    @classmethod
    async def open(cls, url, room, target):
        self = cls(url)
        self.target = target
        await self.request({"type": "join", "room": room, "displayName": "python"}, "joined")
        return self

    def route(self, message):
        if "id" in message:
            self.reply_to(message["id"], message)
        elif message.get("type") == "trickle" and message.get("target") == self.target:
            candidate = message.get("candidate") or {}
            if candidate.get("candidate"):
                self.candidates.put_nowait((candidate["candidate"], candidate.get("sdpMLineIndex", 0)))
            else:
                self.candidates.put_nowait((None, 0))

    async def request(self, message, want):
        message["id"] = next(self.counter)

        def accept(reply):
            if reply.get("type") == "error":
                raise RuntimeError(f"{message['type']}: {reply.get('code')}: {reply.get('message')}")
            return reply.get("type") == want

        return await self.exchange(message["id"], message, accept)

    async def publish(self, offer):
        return (await self.request({"type": "publish", "sdp": offer}, "published"))["sdp"]

    async def subscribe(self):
        return (await self.request({"type": "subscribe"}, "offer"))["sdp"]

    async def answer(self, sdp):
        await self.request({"type": "answer", "sdp": sdp}, "subscribed")

    async def trickle(self, candidate, mline=0):
        payload = None if candidate is None else {"candidate": candidate, "sdpMLineIndex": mline}
        await self.request({"type": "trickle", "target": self.target, "candidate": payload}, "ack")

    async def close(self):
        try:
            await self.request({"type": "leave"}, "left")
        except Exception:
            pass
        Socket.close(self)


async def open_session(face, url, room, target, feed=None):
    if face == "janus":
        return await JanusSession.open(url, room, feed)
    return await NativeSession.open(url, f"room-{room}", target)
