"""A janus.js call through Janus 1.1.2 and through SwiftSFU on a lossy network, in one run:
5 % of the UDP datagrams every receiver gets are dropped (iptables' random `statistic`
match on INPUT, so that a sender sees no error, as on a real network): the publisher's
media to the server, the server's to the subscriber, and the RTCP and retransmissions
both ways. Where the kernel has netem, 30 ms ± 10 ms of delay is added to the media
ports too (`jitter` in the output says whether it was); this machine's kernel has none.

The same janus.js page publishes Chromium's fake camera and a second tab subscribes, as
in rampup.py; Janus first, then SwiftSFU. Once the subscriber decodes, the network turns
lossy; after 5 s of it both tabs' video stats are read, and again DURATION seconds
(default 60) later. Per server: what Chromium's subscriber lost and how much of it
retransmissions repaired (Chromium counts a packet an RTX packet recovered as lost, and
the RTX packet in `retransmittedPacketsReceived`), the residual loss, freezes, keyframe
requests, frame rate and resolution; what the publisher was asked to resend; and, for
SwiftSFU, its NACK and repair counters. The checks, on SwiftSFU: residual loss under
0.5 % and no freeze.

The loss is harsher on SwiftSFU than on Janus: SwiftSFU sends a frame's equal-size packets
in one UDP GSO send, which crosses loopback's netfilter as one datagram and is dropped as
one, so its subscriber loses whole frames (and a frame's resends together) where Janus's
loses single packets. On a real link the segments travel, and are lost, one by one.

Usage (as root, inside a network namespace that has only `lo`):
    lossy_network.py SFU PORT [DURATION] [--swiftsfu-only] [--max-freezes=N]
Prints one JSON object; exits non-zero when a check fails (more than N freezes: 0 unless
given). --swiftsfu-only measures SwiftSFU alone (CI, or trying a change);
LOSSY_LOSS=0.02 drops 2 % instead;
LOSSY_TRACE=FILE writes the subscriber's video stats every 30 ms there (a line each: wall
clock in ms, then the stats as JSON), to line its stalls up with what the server did.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Server  # noqa: E402
from janus_call import MEDIA_PORTS, publisher_and_subscriber, tc  # noqa: E402
from janusjs_page import JANUS_JS, serve_janusjs_page  # noqa: E402
from reference_janus import Janus  # noqa: E402

positional = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
SERVER, PORT = positional[0], int(positional[1])
DURATION = int(positional[2]) if len(positional) > 2 else 60
# --swiftsfu-only: no Janus run to compare with; --max-freezes=N: the check's bound.
WITH_JANUS = "--swiftsfu-only" not in sys.argv
MAX_FREEZES = next((int(arg.split("=")[1]) for arg in sys.argv if arg.startswith("--max-freezes=")), 0)
WS_PORT, JANUS_PORT, PAGE_PORT = PORT + 100, PORT + 200, PORT + 300
ROOM = 5353
CREATE = {"request": "create", "room": ROOM, "publishers": 6, "videocodec": "vp8", "audiocodec": "opus"}
LOSS = float(os.environ.get("LOSSY_LOSS", "0.05"))
result = {"duration_seconds": DURATION, "loss_per_leg": LOSS, "servers": {}, "checks": {}}

# Both tabs' video: the subscriber's inbound-rtp, the publisher's outbound-rtp.
VIDEO = """
const done = arguments[arguments.length - 1];
const pc = arguments[0] === "publisher" ? window.publisherPC() : window.subscriberPC();
if (!pc) { done(null); return; }
pc.getStats().then((stats) => {
  let found = null;
  stats.forEach((r) => {
    if (r.kind !== "video") return;
    if (r.type === "inbound-rtp") {
      found = {lost: r.packetsLost || 0, received: r.packetsReceived || 0,
               recovered: r.retransmittedPacketsReceived || 0, nacks: r.nackCount || 0, plis: r.pliCount || 0,
               frames: r.framesDecoded || 0, freezes: r.freezeCount || 0, freezeSeconds: r.totalFreezesDuration || 0,
               width: r.frameWidth || 0, height: r.frameHeight || 0, bytes: r.bytesReceived || 0};
    } else if (r.type === "outbound-rtp") {
      found = found || {sent: 0, nacks: 0, resent: 0, plis: 0};
      found.sent += r.packetsSent || 0;
      found.nacks += r.nackCount || 0;
      found.resent += r.retransmittedPacketsSent || 0;
      found.plis += r.pliCount || 0;
    }
  });
  done(found);
});
"""


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


IPTABLES = "iptables-legacy" if shutil.which("iptables-legacy") else "iptables"


def lossy_network():
    """5 % of the UDP datagrams every receiver gets dropped; with netem, 30 ms ± 10 ms of
    delay on SwiftSFU's media ports as well. True when the delay is on."""
    subprocess.run([IPTABLES, "-A", "INPUT", "-p", "udp", "-m", "statistic", "--mode", "random",
                    "--probability", str(LOSS), "-j", "DROP"], check=True)
    low = int(MEDIA_PORTS.split("-")[0])
    try:
        tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000000")
        for band in ("1:10", "1:20"):
            tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
        tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "netem", "delay", "30ms", "10ms",
           "limit", "10000")
        for direction in ("sport", "dport"):
            tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
               "protocol", "17", "0xff", "match", "ip", direction, str(low), "0xffc0", "flowid", "1:20")
        return True
    except subprocess.CalledProcessError:
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
        return False


def clear_network():
    subprocess.run([IPTABLES, "-F", "INPUT"], check=True)
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)


def video(driver, tab, role):
    driver.switch_to.window(tab)
    return driver.execute_async_script(VIDEO, role) or {}


def measure(name, url, server=None):
    """The call through the server at `url`, lossy for DURATION seconds: what both tabs
    counted over that time (and the server's counters, for SwiftSFU)."""
    wanted = ("sfu_nacks_received_total", "sfu_retransmitted_packets_total", "sfu_nacks_sent_total",
              "sfu_repaired_packets_total", "sfu_unrepaired_packets_total", "sfu_loss_repairs_total")

    def counters():
        return {key: value for key, value in server.metrics().items() if key.split("{")[0] in wanted} if server else {}

    with publisher_and_subscriber(name, url, PAGE_PORT, ROOM, CREATE, fail) as (driver, tabs):
        result["jitter"] = lossy_network()
        try:
            time.sleep(5)
            first = {role: video(driver, tabs[role], role) for role in tabs}
            server_first = counters()
            if os.environ.get("LOSSY_TRACE"):
                with open(os.environ["LOSSY_TRACE"], "w") as out:
                    end = time.time() + DURATION
                    while time.time() < end:
                        v = video(driver, tabs["subscriber"], "subscriber")
                        out.write("%.1f %s\n" % (time.time() * 1000, json.dumps(v)))
                        time.sleep(0.03)
            else:
                time.sleep(DURATION)
            last = {role: video(driver, tabs[role], role) for role in tabs}
            server_last = counters()
        finally:
            clear_network()
    sub = {key: last["subscriber"][key] - first["subscriber"].get(key, 0)
           for key in ("lost", "received", "recovered", "nacks", "plis", "frames", "freezes", "freezeSeconds", "bytes")}
    expected = max(1, sub["lost"] + sub["received"])
    out = {
        "lost_percent": round(100 * sub["lost"] / expected, 2),
        "residual_loss_percent": round(100 * max(0, sub["lost"] - sub["recovered"]) / expected, 3),
        "subscriber_nacks": sub["nacks"], "subscriber_plis": sub["plis"],
        "freezes": sub["freezes"], "freeze_seconds": round(sub["freezeSeconds"], 2),
        "frames_per_second": round(sub["frames"] / DURATION, 1),
        "kbit_per_second": round(8 * sub["bytes"] / DURATION / 1000),
        "resolution": [last["subscriber"].get("width", 0), last["subscriber"].get("height", 0)],
        "publisher": {key: last["publisher"].get(key, 0) - first["publisher"].get(key, 0)
                      for key in ("sent", "nacks", "resent", "plis")},
        "subscriber": sub,
    }
    if server:
        out["server"] = {key: server_last[key] - server_first.get(key, 0) for key in server_last}
    return out


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
page = serve_janusjs_page(PAGE_PORT)
try:
    if WITH_JANUS:
        janus = Janus(JANUS_PORT)
        try:
            result["servers"]["janus"] = measure("janus", janus.url)
        finally:
            janus.stop()
    server = Server(SERVER, PORT, "--janus-ws-port", str(WS_PORT), "--port-range", MEDIA_PORTS)
    try:
        result["servers"]["swiftsfu"] = measure("swiftsfu", f"ws://127.0.0.1:{WS_PORT}/", server)
    finally:
        code, log = server.stop()
        result["server_exit"] = code
        if code != 0:
            result["server_log"] = log[-3000:]
finally:
    page.shutdown()

ours = result["servers"]["swiftsfu"]
checks = result["checks"]
checks["residual_loss_percent"] = ours["residual_loss_percent"]
checks["freezes"] = ours["freezes"]
if WITH_JANUS:
    checks["janus_residual_loss_percent"] = result["servers"]["janus"]["residual_loss_percent"]
    checks["janus_freezes"] = result["servers"]["janus"]["freezes"]
print(json.dumps(result))
if checks["residual_loss_percent"] >= 0.5 or checks["freezes"] > MAX_FREEZES or ours["frames_per_second"] < 10:
    sys.exit(1)
if result["server_exit"] != 0:
    sys.exit(1)
