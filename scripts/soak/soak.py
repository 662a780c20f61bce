"""A soak: 50 participants churn through rooms of 5 against one `sfu` process for N
minutes, and the process must not grow.

Each round, the load generator (`sfu-load`, release build) joins 10 rooms of 5
participants, each publishing audio and video and receiving the other four on one
subscriber connection, sends media for a few seconds, then everyone leaves; rounds
alternate between the native protocol and the Janus API (whose rooms the generator
destroys at the end). The server's resident memory, descriptors and threads are sampled
every 10 s, and again after each round once every participant has left (the quiet
samples, which add what the server's allocator holds: bytes in use, and bytes freed that it
keeps). From the baseline minute (the 10th, or 2/5 of a shorter run) to the end, the run
fails if the heap in use grows more than 10 % (a leak), if the quiet RSS grows more than
2 % beyond what the allocator came to keep free (the peak of a round slowed by a loaded
machine stays with it), or if quiet descriptors or threads grow at all; and if a round
loses a peer or the rooms do not close.

Usage (inside a network namespace that has only `lo`):
  soak.py --minutes N --sfu PATH --load PATH [--port P]
Prints one JSON object; exits non-zero on a failed check.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--minutes", type=float, required=True)
parser.add_argument("--sfu", required=True)
parser.add_argument("--load", required=True)
parser.add_argument("--port", type=int, default=8700)
parser.add_argument("--baseline-minute", type=float, help="default: 10, or 2/5 of a shorter run")
parser.add_argument("--faces", default="native,janus", help="the faces the rounds take in turn")
parser.add_argument("--same-rooms", action="store_true", help="every round in the same rooms (default: new names)")
arguments = parser.parse_args()
baseline_minute = arguments.baseline_minute or min(10.0, arguments.minutes * 0.4)
PORT, JANUS_PORT = arguments.port, arguments.port + 1
ROOMS, MEMBERS = 10, 5


def process_sample(pid):
    status = open(f"/proc/{pid}/status").read()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_kib": int(fields["VmRSS"].split()[0]),
        "rss_file_kib": int(fields["RssFile"].split()[0]),
        "descriptors": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"]),
    }


def heap_sample():
    """What the server's allocator holds (its /metrics), in KiB: in use, and free but kept."""
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5) as reply:
        values = dict(line.split(" ", 1) for line in reply.read().decode().splitlines()
                      if line.startswith("process_heap_"))
    return {"heap_in_use_kib": int(float(values["process_heap_in_use_bytes"])) // 1024,
            "heap_free_kib": int(float(values["process_heap_free_bytes"])) // 1024}


def health():
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=5) as reply:
        media = json.loads(reply.read())["media_server"]
        return media["active_rooms"], media["total_participants"]


server = subprocess.Popen(
    [arguments.sfu, "--port", str(PORT), "--janus-ws-port", str(JANUS_PORT), "--janus-http-port", "0",
     "--janus-admin-port", "0", "--janus-admin-ws-port", "0", "--admin-secret", secrets.token_hex(16),
     "--media-address", "127.0.0.1", "--log-level", "warning"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
result = {"minutes": arguments.minutes, "baseline_minute": baseline_minute, "rounds": [], "samples": [],
          "quiet": []}
started = time.monotonic()
stop = threading.Event()


def sampler():
    while not stop.wait(10):
        try:
            sample = process_sample(server.pid)
        except OSError:
            return
        sample["minute"] = round((time.monotonic() - started) / 60, 2)
        result["samples"].append(sample)


def finish(failure=None):
    stop.set()
    server.terminate()
    try:
        code = server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        code = None
    result["server_exit"] = code
    if failure:
        result["failure"] = failure
        result["server_log_tail"] = server.stderr.read()[-2000:]
    print(json.dumps(result, indent=1))
    sys.exit(1 if failure or code != 0 else 0)


deadline = started + arguments.minutes * 60
for _ in range(100):
    try:
        # The rooms that exist with no one in them (the Janus face's sample rooms).
        idle_rooms = health()[0]
        break
    except OSError:
        time.sleep(0.2)
else:
    finish("the server did not answer /health")
threading.Thread(target=sampler, daemon=True).start()

round_number = 0
while time.monotonic() < deadline:
    faces = arguments.faces.split(",")
    face = faces[round_number % len(faces)]
    signaling = ["--native", f"ws://127.0.0.1:{PORT}/ws"] if face == "native" else [
        "--janus", f"ws://127.0.0.1:{JANUS_PORT}/"]
    try:
        run = subprocess.run(
            [arguments.load, *signaling, "--server-pid", str(server.pid), "--local-address", "127.0.0.1",
             "--rooms", str(ROOMS), "--publishers", str(MEMBERS), "--per-member", "--warm-up", "1", "--duration",
             "4", "--first-room", str(500_000 + (0 if arguments.same_rooms else round_number * ROOMS))],
            capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        finish(f"round {round_number} ({face}) did not end within 120 s")
    try:
        report = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        finish(f"round {round_number} ({face}) printed no report: {run.stderr[-1000:]}")
    summary = {
        "round": round_number, "face": face, "minute": round((time.monotonic() - started) / 60, 2),
        "failed_peers": report.get("failed_peers"), "loss": report.get("loss"),
        "setup_seconds": round(report.get("setup_seconds") or 0, 2), "failure": report.get("failure"),
    }
    result["rounds"].append(summary)
    if run.returncode != 0 or summary["failure"] or summary["failed_peers"]:
        finish(f"round {round_number} ({face}) failed: {summary}")
    # Everyone left: the rooms close, then the quiet sample.
    for _ in range(150):
        if health() == (idle_rooms, 0):
            break
        time.sleep(0.1)
    else:
        finish(f"after round {round_number} ({face}) rooms or participants remain: {health()}")
    time.sleep(0.5)
    quiet = process_sample(server.pid) | heap_sample()
    quiet["minute"] = round((time.monotonic() - started) / 60, 2)
    result["quiet"].append(quiet)
    round_number += 1

# The verdict, on the quiet samples: from the first at or after the baseline minute to the last.
quiet_after = [sample for sample in result["quiet"] if sample["minute"] >= baseline_minute]
if len(quiet_after) < 2:
    finish("too few rounds after the baseline minute to judge growth")
baseline, last = quiet_after[0], quiet_after[-1]
growth = (last["rss_kib"] - baseline["rss_kib"]) / baseline["rss_kib"]
# What the allocator kept of a busier round's peak: freed memory it holds for later (a
# round slowed by a loaded machine, with more in flight at once, raises it), not a leak.
kept = max(0, last["heap_free_kib"] - baseline["heap_free_kib"]) / baseline["rss_kib"]
in_use_growth = (last["heap_in_use_kib"] - baseline["heap_in_use_kib"]) / baseline["heap_in_use_kib"]
result["verdict"] = {
    "baseline": baseline, "last": last, "rss_growth_percent": round(100 * growth, 2),
    "kept_free_growth_percent": round(100 * kept, 2), "heap_in_use_growth_percent": round(100 * in_use_growth, 2),
    "rounds": round_number, "peer_connections_made": round_number * ROOMS * MEMBERS * 2,
}
if in_use_growth > 0.1:
    finish(f"the heap in use grew {100 * in_use_growth:.2f} % from minute {baseline['minute']} to the end")
if growth - kept > 0.02:
    finish(f"resident memory grew {100 * growth:.2f} % from minute {baseline['minute']} to the end, "
           f"{100 * kept:.2f} % of it memory the allocator keeps free")
if last["descriptors"] > baseline["descriptors"] or last["threads"] > baseline["threads"]:
    finish("descriptors or threads grew")
finish()
