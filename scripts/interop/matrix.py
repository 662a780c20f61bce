"""The interop matrix: WebRTC stacks no one here wrote publish to and subscribe from the
`sfu` server over its Janus face and its native face. In each cell one peer publishes
VP8 and Opus and SUBSCRIBERS peers subscribe to it, set up one at a time and then all at
once; every peer connection must connect and receive media (docs/interop.md).

usage: matrix.py SFU PORT [--peers pion,aiortc,...] [--repeats N] [--subscribers N] [--lanes N]
Run it inside a network namespace that has only `lo`. Prints one JSON object: every
cell's counts and failures, and the totals per peer and face; exits non-zero when any
connection failed. The peers take turns in `--lanes` lanes at once (default 2): a cell
spends most of its time waiting for connections, not computing, and each cell has a
room of its own.
"""

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import queue
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Server  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("sfu")
parser.add_argument("port", type=int)
parser.add_argument("--peers", default="pion")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--subscribers", type=int, default=20)
parser.add_argument("--lanes", type=int, default=2)
arguments = parser.parse_args()

PORT = arguments.port
JANUS_PORT = PORT + 100
FACES = {"janus": f"ws://127.0.0.1:{JANUS_PORT}/", "native": f"ws://127.0.0.1:{PORT}/ws"}
result = {"checks": {"cells": [], "totals": {}}}
results_lock = threading.Lock()
# Each browser serves its page on a port of its own (lanes may run both at once).
PAGE_PORTS = {"chromium": PORT + 300, "firefox": PORT + 301}


def make_media(folder):
    """Four seconds of VP8 (320x240, 15 frames/s, a key frame every second) in an IVF
    file and of Opus (20 ms pages) in an Ogg file, looped by the publishers."""
    video, audio = os.path.join(folder, "video.ivf"), os.path.join(folder, "audio.ogg")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
                    "-t", "4", "-c:v", "libvpx", "-b:v", "300k", "-g", "15", "-keyint_min", "15", video], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", "4", "-c:a", "libopus", "-b:a", "32k", "-page_duration", "20000", audio], check=True)
    return video, audio


def cell(peer, face, mode, extra=(), subscribers=None, limit=15):
    """One cell run by `peer`'s client; its JSON report."""
    if peer == "pion":
        program, limit = [PION], f"{limit}s"
    elif peer in ("chromium", "firefox"):
        program = [sys.executable, os.path.join(HERE, "browser_peer.py"), "-browser", peer, "-client",
                   f"http://127.0.0.1:{PORT}/sfu-client.js", "-page-port", str(PAGE_PORTS[peer])]
    elif peer == "gstreamer":
        # Debian's own Python, which has python3-gi.
        program = ["/usr/bin/python3", os.path.join(HERE, "gstreamer_peer.py")]
    else:
        program = [sys.executable, os.path.join(HERE, f"{peer}_peer.py")]
    command = [*program, "-face", face, "-url", FACES[face], "-mode", mode, "-subscribers",
               str(subscribers or arguments.subscribers), "-limit", str(limit), *extra]
    if peer == "pion":
        command += ["-video", VIDEO, "-audio", AUDIO]
    started = time.monotonic()
    before = server_counters()
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=HERE)
        report = json.loads(run.stdout.strip().splitlines()[-1])
        report["seconds"] = round(time.monotonic() - started, 1)
    except (ValueError, IndexError, subprocess.TimeoutExpired) as error:
        output = run.stderr[-500:] if "run" in locals() else str(error)
        report = {"tried": 0, "connected": 0, "receiving": 0, "published": False,
                  "failures": [f"{peer} client failed: {output}"]}
    if report.get("failures"):
        # What the server counted meanwhile (the other lane's cell included): which of its
        # drops, if any, took the media.
        after = server_counters()
        report["server_counters"] = {name: after[name] - before.get(name, 0) for name in after
                                     if after[name] != before.get(name, 0)}
    return report


def server_counters():
    """The server's packet and drop counters, by name with labels; empty if it does not
    answer."""
    try:
        return {name: value for name, value in server.metrics().items()
                if name.startswith(("sfu_dropped_packets_total", "sfu_packets_", "sfu_srtp"))}
    except OSError:
        return {}


def clean(entry):
    """A cell whose publisher and every subscriber connected and received."""
    return entry["published"] and entry["tried"] == entry["receiving"] and not entry["failures"]


def record(peer, face, mode, variant, cell):
    """Adds one cell to the results and to its peer's totals."""
    entry = {"peer": peer, "face": face, "mode": mode, "variant": variant,
             "published": cell.get("published", False), "tried": cell.get("tried", 0),
             "connected": cell.get("connected", 0), "receiving": cell.get("receiving", 0),
             "connect_ms_p50": cell.get("connect_ms_p50", 0), "connect_ms_max": cell.get("connect_ms_max", 0),
             "seconds": cell.get("seconds", 0), "failures": cell.get("failures", [])[:5],
             "server_counters": cell.get("server_counters", {})}
    with results_lock:
        add_to_results(entry)


def add_to_results(entry):
    """`record`'s part under the lock: the cell, its peer's totals, a line for the log."""
    peer, face = entry["peer"], entry["face"]
    result["checks"]["cells"].append(entry)
    totals = result["checks"]["totals"].setdefault(peer, {}).setdefault(
        face, {"tried": 0, "connected": 0, "receiving": 0, "failed_cells": 0})
    # The publisher is a connection too.
    totals["tried"] += entry["tried"] + 1
    totals["connected"] += entry["connected"] + (1 if entry["published"] else 0)
    totals["receiving"] += entry["receiving"]
    if not clean(entry):
        totals["failed_cells"] += 1
    print(f"matrix: {peer} {face} {entry['mode']} {entry['variant']}: {entry['receiving']}/{entry['tried']} receiving"
          f" in {entry['seconds']} s"
          + ("" if clean(entry) else f" FAILED {entry['failures'][:2]}, the server's counters meanwhile "
             f"{entry['server_counters']}"), file=sys.stderr, flush=True)


def run_repeats(peer):
    """The matrix's core: each face, set up one at a time and all at once, `--repeats`
    times."""
    for repeat in range(arguments.repeats):
        for face in FACES:
            for mode in ["sequential", "concurrent"]:
                record(peer, face, mode, "default", cell(peer, face, mode))


def run_pion():
    run_repeats("pion")
    # What only browsers forgive, once per face: an ICE-lite client, candidates named by
    # mDNS, the client as DTLS server, descriptions with every candidate and no trickle,
    # IPv6 only.
    variants = {"ice-lite": ["-lite"], "mdns": ["-mdns"], "dtls-server": ["-dtls-server"],
                "no-trickle": ["-trickle=false"], "ipv6": ["-network", "udp6"]}
    for face in FACES:
        for name, extra in variants.items():
            record("pion", face, "concurrent", name, cell("pion", face, "concurrent", extra, subscribers=4))
    # This server has no --ice-tcp: a client with only TCP candidates cannot connect.
    report = cell("pion", "native", "concurrent", ["-network", "tcp4"], subscribers=1, limit=3)
    result["checks"]["tcp_only_without_ice_tcp_published"] = report.get("published")


def run_pion_tcp():
    """ICE-TCP only: a server started with --ice-tcp connects Pion's passive TCP
    candidates; the same client against a server without it cannot connect at all."""
    for face in FACES:
        record("pion", face, "concurrent", "ice-tcp", cell("pion", face, "concurrent", ["-network", "tcp4"], 4))


# Firefox gathers candidates only on the interface of its default route: one over `lo`,
# in this namespace only and while the matrix runs, gives it 127.0.0.1 (nothing can
# leave: there is no other interface). The other peers gather on every interface and
# do not mind it.
FIREFOX_ROUTE = ["default", "dev", "lo", "src", "127.0.0.1"]


def run_lane(peers_left):
    """One lane: the next peer not yet taken, until none is left."""
    while True:
        try:
            peer = peers_left.get_nowait()
        except queue.Empty:
            return
        try:
            PEERS.get(peer, functools.partial(run_repeats, peer))()
        except Exception as error:  # a peer's failure is its cells', not the lane's end
            with results_lock:
                result.setdefault("failure", f"{peer}: {type(error).__name__}: {error}")


def run_peers(peers):
    peers_left = queue.Queue()
    for peer in peers:
        peers_left.put(peer)
    lanes = [threading.Thread(target=run_lane, args=(peers_left,)) for _ in range(max(1, arguments.lanes))]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()


PEERS = {"pion": run_pion}
peers = arguments.peers.split(",")
folder = tempfile.mkdtemp(prefix="sfu-interop-")
server = None
try:
    VIDEO, AUDIO = make_media(folder)
    if "pion" in peers:
        PION = subprocess.run(["bash", os.path.join(HERE, "build-pion.sh")], capture_output=True, text=True,
                              check=True).stdout.strip().splitlines()[-1]
    # A unique-local IPv6 address on this namespace's `lo` (Pion passes over ::1): the
    # server gathers on it beside 127.0.0.1. aioice gathers nothing on 127.0.0.1 itself;
    # it does on another loopback address.
    subprocess.run(["ip", "addr", "add", "fd5f::1/128", "dev", "lo"], check=False, capture_output=True)
    subprocess.run(["ip", "addr", "add", "127.0.0.2/8", "dev", "lo"], check=False, capture_output=True)
    server = Server(arguments.sfu, PORT, "--janus-ws-port", str(JANUS_PORT), "--media-address", "127.0.0.1",
                    "--media-address", "fd5f::1")
    started = time.monotonic()
    if "firefox" in peers:
        subprocess.run(["ip", "route", "add", *FIREFOX_ROUTE], check=False, capture_output=True)
    try:
        run_peers(peers)
    finally:
        subprocess.run(["ip", "route", "del", *FIREFOX_ROUTE], check=False, capture_output=True)
    result["server_exit"], _ = server.stop()
    server = None
    if "pion" in peers:
        server = Server(arguments.sfu, PORT, "--janus-ws-port", str(JANUS_PORT), "--ice-tcp")
        run_pion_tcp()
        code, _ = server.stop()
        server = None
        result["server_exit"] = result["server_exit"] or code
    result["checks"]["seconds"] = round(time.monotonic() - started)
except Exception as error:
    result["failure"] = f"{type(error).__name__}: {error}"
finally:
    if server is not None:
        result["server_exit"], _ = server.stop()
    shutil.rmtree(folder, ignore_errors=True)
failed = [entry for entry in result["checks"]["cells"] if not clean(entry)]
if failed and "failure" not in result:
    result["failure"] = f"{len(failed)} cells had failed connections"
print(json.dumps(result))
sys.exit(1 if "failure" in result or result.get("server_exit") != 0 else 0)
