"""An ICE peer nobody here wrote (aioice, aiortc's ICE agent) for the interop test.

Line protocol on stdin/stdout, one JSON object per line:
  out: {"ufrag", "pwd", "candidates": ["candidate:…"]}   its description, after gathering
  in:  {"ufrag", "pwd", "candidates": [...]}             the other agent's
  out: {"echoed": n, "sent": n}                          after sending `count` datagrams
                                                          and reading their echoes
Run inside a network namespace that has only `lo` (with 127.0.0.2 added: aioice
skips 127.0.0.1 when it gathers). After the description it ends within 110 s: 10 s to
connect, 10 s for the first echo, at most 2 s per burst of 25 datagrams, 5 s for the
last echoes.
"""
import asyncio
import json
import struct
import sys

import aioice


READY = 0xFFFFFFFF


async def main(count: int) -> None:
    connection = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
    await connection.gather_candidates()
    print(json.dumps({
        "ufrag": connection.local_username,
        "pwd": connection.local_password,
        "candidates": ["candidate:" + c.to_sdp() for c in connection.local_candidates],
    }), flush=True)
    remote = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    connection.remote_username = remote["ufrag"]
    connection.remote_password = remote["pwd"]
    for text in remote["candidates"]:
        await connection.add_remote_candidate(aioice.Candidate.from_sdp(text.removeprefix("candidate:")))
    await connection.add_remote_candidate(None)
    await asyncio.wait_for(connection.connect(), 10)
    echoed = set()

    async def receive() -> None:
        while len(echoed - {READY}) < count:
            data = await connection.recv()
            echoed.add(struct.unpack("!I", data[:4])[0])

    receiver = asyncio.ensure_future(receive())
    loop = asyncio.get_running_loop()
    # aioice is connected once its own check succeeded; the other agent may not have
    # taken the pair yet and drops what it cannot send back. A marked datagram goes
    # every 100 ms until its echo comes (10 s at most) before the counted ones.
    deadline = loop.time() + 10
    while READY not in echoed and loop.time() < deadline:
        await connection.send(struct.pack("!I", READY))
        await asyncio.sleep(0.1)
    echoed.discard(READY)
    for index in range(count):
        await connection.send(struct.pack("!I", index) + bytes(1196))
        if index % 25 == 24:
            # The echoes of one burst are read before the next goes: on a busy machine,
            # two bursts in flight (240 KB of kernel buffer) overflowed this process's
            # socket before asyncio read it, and echoes were lost. It waits for the
            # burst's last echo, 2 s at most, so that an echo lost holds back one burst,
            # not every later one. (A whole burst lost, 975 of 1000, was the first one,
            # sent before the other agent had taken the pair: hence the marked datagram.)
            deadline = loop.time() + 2
            while index not in echoed and loop.time() < deadline:
                await asyncio.sleep(0.001)
    try:
        await asyncio.wait_for(receiver, 5)
    except asyncio.TimeoutError:
        pass
    print(json.dumps({"echoed": len(echoed - {READY}), "sent": count}), flush=True)
    await connection.close()


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
