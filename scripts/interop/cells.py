"""One cell of the interop matrix for a Python WebRTC stack (aiortc, GStreamer
webrtcbin): a publisher, then subscribers set up one at a time or all at once, each
counted when it is connected and has received `frames` video frames and audio buffers.
The report has the same keys as the Pion client's (scripts/interop/pion/main.go).

A stack is an object with two coroutines:
    publish(session, limit) -> a publisher with `close()` (a coroutine); raises on failure
    subscribe(session, limit) -> a subscriber with `connected` (a bool), `video_frames`,
        `audio_frames` (counts) and `close()` (a coroutine)
"""

import argparse
import asyncio
import json
import random
import time

from signaling import open_session


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("-face", default="janus")
    parser.add_argument("-url", default="ws://127.0.0.1:8188/")
    parser.add_argument("-mode", default="sequential")
    parser.add_argument("-subscribers", type=int, default=20)
    parser.add_argument("-frames", type=int, default=10)
    parser.add_argument("-limit", type=float, default=20)
    return parser.parse_args()


async def run_cell(stack, options):
    report = {"face": options.face, "mode": options.mode, "published": False, "tried": 0, "connected": 0,
              "receiving": 0, "failures": [], "connect_ms": []}
    room = random.randrange(1, 1 << 40)
    publisher_session = await open_session(options.face, options.url, room, "publish")
    sessions, subscribers = [publisher_session], []
    publisher = None
    try:
        if options.face == "janus":
            await publisher_session.create_room()
        try:
            publisher = await stack.publish(publisher_session, options.limit)
        except Exception as error:
            report["failures"].append(f"publisher: {type(error).__name__}: {error}")
            return report
        report["published"] = True

        async def one(index):
            started = time.monotonic()
            step = "signaling"
            try:
                session = await open_session(options.face, options.url, room, "subscribe",
                                             feed=getattr(publisher_session, "feed", None))
                sessions.append(session)
                step = "negotiation"
                subscriber = await stack.subscribe(session, options.limit)
                subscribers.append(subscriber)
            except Exception as error:
                report["failures"].append(f"subscriber {index}: {step} after {time.monotonic() - started:.1f} s: "
                                          f"{type(error).__name__}: {error}")
                return
            deadline = started + options.limit
            while time.monotonic() < deadline:
                if subscriber.connected and min(subscriber.video_frames, subscriber.audio_frames) >= options.frames:
                    break
                await asyncio.sleep(0.05)
            if subscriber.connected:
                report["connected"] += 1
                report["connect_ms"].append(round((time.monotonic() - started) * 1000))
            if subscriber.connected and min(subscriber.video_frames, subscriber.audio_frames) >= options.frames:
                report["receiving"] += 1
            else:
                report["failures"].append(
                    f"subscriber {index}: connected {subscriber.connected}, {subscriber.video_frames} video frames"
                    f" and {subscriber.audio_frames} audio frames in {options.limit} s")

        report["tried"] = options.subscribers
        if options.mode == "concurrent":
            await asyncio.gather(*(one(index) for index in range(options.subscribers)))
        else:
            for index in range(options.subscribers):
                await one(index)
        # Every subscriber still receives once all are set up.
        before = [subscriber.video_frames for subscriber in subscribers]
        await asyncio.sleep(1)
        stalled = sum(1 for subscriber, count in zip(subscribers, before) if subscriber.video_frames == count)
        if stalled:
            report["failures"].append(f"{stalled} subscribers stopped receiving")
        return report
    finally:
        for subscriber in subscribers:
            await subscriber.close()
        if publisher is not None:
            await publisher.close()
        for session in sessions:
            await session.close()


def main(stack_factory):
    """Runs one cell with the command line's options and prints its report."""
    options = arguments()

    async def run():
        stack = stack_factory()
        try:
            return await asyncio.wait_for(run_cell(stack, options), options.limit * (options.subscribers + 3))
        except Exception as error:
            return {"published": False, "tried": options.subscribers, "connected": 0, "receiving": 0,
                    "failures": [f"{type(error).__name__}: {error}"]}

    report = asyncio.run(run())
    times = sorted(report.pop("connect_ms", []) or [0])
    report["connect_ms_p50"], report["connect_ms_max"] = times[len(times) // 2], times[-1]
    print(json.dumps(report), flush=True)
