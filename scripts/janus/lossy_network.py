"""A janus.js call through SwiftSFU on a lossy network: 5 % of the datagrams lost on each
leg (publisher to server, server to subscriber, and their RTCP back): iptables' random
`statistic` match drops them on `lo` for every datagram to or from the server's media
ports (40000-40063). Where the kernel has netem, 30 ms ± 10 ms of delay is added on each
leg too (`jitter` in the output says whether it was); this machine's kernel has none.

The janus.js page publishes Chromium's fake camera and a second tab subscribes, as in
rampup.py. Once the subscriber decodes, the network turns lossy; after 5 s of it the
subscriber's video inbound-rtp is sampled every 5 s for DURATION seconds (default 60):
the residual loss (packets lost after NACK and RTX repair, over those expected), the
freezes Chromium counted, frames decoded and the resolution; and the server's NACK and
repair counters. The checks: residual loss under 0.5 % and no freeze.

Usage (as root, inside a network namespace that has only `lo`): lossy_network.py SFU PORT [DURATION]
Prints one JSON object; exits non-zero when a check fails.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import swiftsfu_call, tc  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
DURATION = int(sys.argv[3]) if len(sys.argv) > 3 else 60
ROOM = 5353
result = {"duration_seconds": DURATION, "samples": [], "checks": {}}

INBOUND = """
const done = arguments[arguments.length - 1];
const pc = window.subscriberPC();
if (!pc) { done(null); return; }
pc.getStats().then((stats) => {
  let found = null;
  stats.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      found = {lost: r.packetsLost || 0, received: r.packetsReceived || 0, nacks: r.nackCount || 0,
               frames: r.framesDecoded || 0, freezes: r.freezeCount || 0, freezeSeconds: r.totalFreezesDuration || 0,
               width: r.frameWidth || 0, height: r.frameHeight || 0, fps: r.framesPerSecond || 0,
               bytes: r.bytesReceived || 0};
    }
  });
  done(found);
});
"""

OUTBOUND = """
const done = arguments[arguments.length - 1];
const pc = window.publisherPC();
if (!pc) { done(null); return; }
pc.getStats().then((stats) => {
  let found = null;
  stats.forEach((r) => {
    if (r.type === "outbound-rtp" && r.kind === "video") {
      found = {sent: r.packetsSent || 0, nacks: r.nackCount || 0, resent: r.retransmittedPacketsSent || 0};
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


def lossy_media_ports():
    """5 % of every datagram to or from the media ports dropped (each crosses OUTPUT once
    on `lo`); with netem, 30 ms ± 10 ms of delay as well. True when the delay is on."""
    for direction in ("--sport", "--dport"):
        subprocess.run([IPTABLES, "-A", "OUTPUT", "-p", "udp", direction, "40000:40063", "-m", "statistic",
                        "--mode", "random", "--probability", "0.05", "-j", "DROP"], check=True)
    try:
        tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000000")
        for band in ("1:10", "1:20"):
            tc("class", "add", "dev", "lo", "parent", "1:", "classid", band, "htb", "rate", "10gbit")
        tc("qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "netem", "delay", "30ms", "10ms",
           "limit", "10000")
        for direction in ("sport", "dport"):
            tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip",
               "protocol", "17", "0xff", "match", "ip", direction, "40000", "0xffc0", "flowid", "1:20")
        return True
    except subprocess.CalledProcessError:
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
        return False


def clear_network():
    subprocess.run([IPTABLES, "-F", "OUTPUT"], check=True)
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)


def metrics(server):
    wanted = ("sfu_nacks_received_total", "sfu_retransmitted_packets_total", "sfu_nacks_sent_total",
              "sfu_repaired_packets_total", "sfu_unrepaired_packets_total", "sfu_packets_received_total",
              "sfu_dropped_packets_total")
    return {name: value for name, value in server.metrics().items() if name.split("{")[0] in wanted}


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
with swiftsfu_call(SERVER, PORT, ROOM, result, fail) as (server, driver):
    subscriber_tab = driver.current_window_handle
    publisher_tab = next(tab for tab in driver.window_handles if tab != subscriber_tab)

    def inbound():
        return driver.execute_async_script(INBOUND) or {}

    def outbound():
        driver.switch_to.window(publisher_tab)
        try:
            return driver.execute_async_script(OUTBOUND) or {}
        finally:
            driver.switch_to.window(subscriber_tab)

    result["jitter"] = lossy_media_ports()
    try:
        time.sleep(5)
        first, server_first, publisher_first = inbound(), metrics(server), outbound()
        start = time.monotonic()
        for second in range(5, DURATION + 1, 5):
            time.sleep(max(0, start + second - time.monotonic()))
            sample = inbound()
            sample["t"] = second
            result["samples"].append(sample)
        last, server_last, publisher_last = inbound(), metrics(server), outbound()
    finally:
        clear_network()

lost = last["lost"] - first["lost"]
received = last["received"] - first["received"]
checks = result["checks"]
checks["residual_loss_percent"] = round(100 * lost / max(1, lost + received), 3)
checks["packets_received"] = received
checks["freezes"] = last["freezes"] - first["freezes"]
checks["freeze_seconds"] = round(last["freezeSeconds"] - first["freezeSeconds"], 2)
checks["frames_per_second"] = round((last["frames"] - first["frames"]) / DURATION, 1)
checks["kbit_per_second"] = round(8 * (last["bytes"] - first["bytes"]) / DURATION / 1000)
checks["resolution"] = [last["width"], last["height"]]
checks["subscriber_nacks"] = last["nacks"] - first["nacks"]
checks["publisher"] = {name: publisher_last[name] - publisher_first.get(name, 0) for name in publisher_last}
checks["server"] = {name: server_last[name] - server_first.get(name, 0) for name in server_last}
print(json.dumps(result))
if checks["residual_loss_percent"] >= 0.5 or checks["freezes"] > 0 or checks["frames_per_second"] < 10:
    sys.exit(1)
if result["server_exit"] != 0:
    sys.exit(1)
