"""An ICE peer nobody here wrote (aioice, aiortc's ICE agent) for the interop test.

Line protocol on stdin/stdout, one JSON object per line:
  out: {"ufrag", "pwd", "candidates": ["candidate:…"]}   its description, after gathering
  in:  {"ufrag", "pwd", "candidates": [...]}             the other agent's
  out: {"echoed": n, "sent": n}                          after sending `count` datagrams
                                                          and reading their echoes
Run inside a network namespace that has only `lo` (with 127.0.0.2 added: aioice
skips 127.0.0.1 when it gathers).
"""
import asyncio
import json
import struct
import sys

import aioice


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
        while len(echoed) < count:
            data = await connection.recv()
            echoed.add(struct.unpack("!I", data[:4])[0])

    receiver = asyncio.ensure_future(receive())
    loop = asyncio.get_running_loop()
    for index in range(count):
        await connection.send(struct.pack("!I", index) + bytes(1196))
        if index % 25 == 24:
            # The echoes of one burst are read before the next goes: on a busy machine,
            # two bursts in flight (240 KB of kernel buffer) overflowed this process's
            # socket before asyncio read it, and echoes were lost. A burst whose echo
            # does not come (lost on the way) holds the next one back 2 s at most: with
            # the whole suite running on two cores an echo took over 200 ms, the next burst
            # went, and one burst of echoes was lost (975 of 1000).
            deadline = loop.time() + 2
            while len(echoed) < index + 1 and loop.time() < deadline:
                await asyncio.sleep(0.001)
    try:
        await asyncio.wait_for(receiver, 5)
    except asyncio.TimeoutError:
        pass
    print(json.dumps({"echoed": len(echoed), "sent": count}), flush=True)
    await connection.close()


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
