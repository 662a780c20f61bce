"""The native protocol's WebSocket for the aiortc scripts: requests with ids, events in
order, on an asyncio loop."""

import asyncio
import itertools
import json
import threading
import time

import websocket


class Signaling:
    """One WebSocket of the native protocol: requests with ids, events kept in order."""

    def __init__(self, loop, port):
        self.loop = loop
        self.socket = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=10)
        self.replies = {}
        self.events = asyncio.Queue()
        self.ids = itertools.count(1)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        try:
            while True:
                message = json.loads(self.socket.recv())
                self.loop.call_soon_threadsafe(self.deliver, message)
        except Exception:
            pass

    def deliver(self, message):
        future = self.replies.pop(message.get("id"), None)
        if future is not None:
            future.set_result(message)
        else:
            self.events.put_nowait(message)

    async def request(self, message):
        message["id"] = next(self.ids)
        future = self.loop.create_future()
        self.replies[message["id"]] = future
        self.socket.send(json.dumps(message))
        reply = await asyncio.wait_for(future, 10)
        if reply.get("type") == "error":
            raise RuntimeError(f"{message['type']}: {reply}")
        return reply

    async def event(self, kind, limit=10):
        deadline = time.monotonic() + limit
        while True:
            message = await asyncio.wait_for(self.events.get(), max(0.01, deadline - time.monotonic()))
            if message.get("type") == kind:
                return message
