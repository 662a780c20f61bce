"""A publisher's maximum incoming bitrate (`--max-publisher-bitrate`), as a browser meets it.

Starts the `sfu` given on the command line with a low limit (run this inside a network
namespace that has only `lo`), opens two demo-page participants in headless Chromium,
and measures for 10 s what each publisher sends (its RTCPeerConnection's outbound RTP,
headers, retransmissions and padding included) and what the other decodes. The REMB the
server sends must keep Chromium under the limit, so that the limit drops next to
nothing, and the video must keep playing.

Usage: publisher_bitrate.py SFU PORT [LIMIT]. Prints one JSON object; exits non-zero on a
failed check.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, open_demo_participants, wait_until  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
LIMIT = int(sys.argv[3]) if len(sys.argv) > 3 else 300_000
BASE = f"http://127.0.0.1:{PORT}"
result = {"limit": LIMIT, "checks": {}}
DROPS = 'sfu_dropped_packets_total{reason="over_bitrate_limit"}'


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


SAMPLE = """
const done = arguments[arguments.length - 1];
const demo = window.sfuDemo;
if (!demo || !demo.client || !demo.client.publisher) { done(null); return; }
Promise.all([demo.client.publisher.getStats(), Promise.resolve(demo.stats())]).then(([report, received]) => {
  let sent = 0, packets = 0, width = 0;
  report.forEach((s) => {
    if (s.type !== 'outbound-rtp') return;
    sent += (s.bytesSent || 0) + (s.headerBytesSent || 0);
    packets += s.packetsSent || 0;
    if (s.kind === 'video' && (s.frameWidth || 0) > width) width = s.frameWidth;
  });
  let frames = 0, freezes = 0;
  for (const media of Object.values(received)) {
    frames += (media.video && media.video.framesDecoded) || 0;
    freezes += (media.video && media.video.freezeCount) || 0;
  }
  done({sent, packets, width, frames, freezes, time: performance.now()});
}).catch((e) => done({error: String(e)}));
"""

server = None
driver = None
try:
    try:
        server = Server(SERVER, PORT, "--max-publisher-bitrate", str(LIMIT))
    except RuntimeError as error:
        fail(str(error))
    driver = chromium()
    tabs = open_demo_participants(driver, BASE, "bitrate-limit", 2)

    def sample(tab):
        driver.switch_to.window(tab)
        return driver.execute_async_script(SAMPLE)

    def decoding():
        samples = [sample(tab) for tab in tabs]
        return samples if all(s and s.get("frames", 0) > 0 for s in samples) else None

    if not wait_until(decoding, 45, every=1):
        fail("the participants did not decode each other's video: " + json.dumps([sample(t) for t in tabs]))
    # Chromium's estimate ramps up and meets the REMB within a few seconds.
    time.sleep(6)
    drops_before = server.metrics().get(DROPS, 0)
    first = [sample(tab) for tab in tabs]
    time.sleep(10)
    last = [sample(tab) for tab in tabs]
    drops = server.metrics().get(DROPS, 0) - drops_before
    publishers = []
    for before, after in zip(first, last):
        seconds = (after["time"] - before["time"]) / 1000
        publishers.append({
            "sent_kbps": round((after["sent"] - before["sent"]) * 8 / seconds / 1000, 1),
            "packets": after["packets"] - before["packets"],
            "width": after["width"],
            "frames_decoded_per_second": round((after["frames"] - before["frames"]) / seconds, 1),
            "freezes": after["freezes"] - before["freezes"],
        })
    result["checks"]["publishers"] = publishers
    result["checks"]["over_limit_drops"] = drops
    for publisher in publishers:
        if publisher["sent_kbps"] > LIMIT / 1000 * 1.05:
            fail(f"a publisher sent {publisher['sent_kbps']} kbit/s, over the limit")
        if publisher["frames_decoded_per_second"] < 10:
            fail("the video did not keep playing")
    if drops > 0.01 * sum(p["packets"] for p in publishers):
        fail(f"{drops} packets were dropped over the limit: the REMB did not hold the browsers")
    code, _ = server.stop()
    server = None
    result["server_exit"] = code
    if code != 0:
        fail(f"the server exited with {code}")
    print(json.dumps(result))
finally:
    if driver:
        driver.quit()
    if server:
        server.stop()
