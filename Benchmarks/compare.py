"""Forwarding throughput of SwiftSFU against Janus 1.1.2, in one run.

Runs the ladder of `sfu-load` steps against Janus (VideoRoom plugin, WebSocket
transport, no STUN) and against SwiftSFU's Janus face, each server pinned to core 0
and the generator to core 1, inside the caller's private network namespace. Janus
skips loopback interfaces when it gathers candidates, so the servers use 10.99.0.1,
an address on a veth pair that exists only in that namespace.

With `--link veth` (the default) the generator runs in a network namespace of its own
at the pair's other end (10.99.0.2), each end's receive work steered by RPS to the core
of the process that reads it, and a server's CPU is its core's busy time: what it pays
on a network card, its own receive path included and its peers' left out. With `--link
loopback` the generator shares the servers' namespace and address; the kernel then runs
a packet's receive path inside its sender's system call, so a server's CPU (its
process's time) includes the generator's receive work for everything it sends.

A server's ladder stops at the first step with more than 1 % loss (or a failed step);
the last clean step is its capacity. Writes results.json, results.md and chart.svg to
the output folder and prints the table.

Usage (as root, inside `unshare --net`): compare.py --sfu PATH --load PATH --out DIR
    [--quick] [--duration S] [--warm-up S] [--servers janus,swiftsfu] [--ladders fan-out,simulcast]
    [--link veth|loopback]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "janus"))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "browser"))
from harness import Server  # noqa: E402
from reference_janus import ADDRESS, Janus, add_private_address  # noqa: E402
from chart import write_chart  # noqa: E402

LOSS_LIMIT = 0.01
# A step where the generator itself is this busy, or sends this late, measures the
# generator: the ladder stops there and the step is marked.
GENERATOR_CPU_LIMIT = 90
SEND_LAG_LIMIT_MS = 50
# 1 publisher → S subscribers; rooms of 7 where everyone publishes (each feed has 6
# subscribers: the other 6 participants), the CoSMo load-test shape.
FAN_OUT = [1, 10, 50, 100, 200, 300, 500, 700, 850, 1000, 1200]
ROOMS_OF_SEVEN = [1, 2, 4, 8, 12, 16, 24, 32]
# Group calls of 4 (the shape most deployments run), with one subscriber connection per
# feed or one per member (a multistream subscriber receiving the other 3).
ROOMS_OF_FOUR = [1, 5, 10, 20, 40, 60]
# The same with simulcast: every publisher sends three encodings and its subscribers ask
# for the highest, the middle and the lowest in turn (steps in multiples of three).
SIMULCAST_FAN_OUT = [3, 9, 51, 99, 201, 300, 501, 699, 849, 999, 1200]
QUICK_FAN_OUT = [1, 10, 50]
QUICK_ROOMS = [1, 2]
QUICK_ROOMS_OF_FOUR = [1, 5]
# Idle peers: rooms of 4 with a subscriber connection per member, nothing sent but
# keepalives and a report a second; what a connected peer costs per second.
IDLE_ROOMS = [25, 100]
QUICK_IDLE_ROOMS = [5]
QUICK_SIMULCAST = [3, 51]
# --smoke: the least that exercises everything, for CI; --check then fails the run
# unless every step of every server was clean.
SMOKE_FAN_OUT = [1, 10]
SMOKE_ROOMS = [1]
# Only the per-member ladder has a smoke step (the multistream subscriber is the one
# thing the rooms-of-4 ladders add to the tooling).
SMOKE_ROOMS_OF_FOUR = {"rooms-of-4": [], "rooms-of-4-per-member": [1], "rooms-of-7-per-member": []}
SMOKE_SIMULCAST = [9]
SIMULCAST_LAYERS = 3
SERVER_CORE, GENERATOR_CORE = "0", "1"
GENERATOR_ADDRESS = "10.99.0.2"


class Link:
    """How the generator reaches the servers (see the module's summary)."""

    def __init__(self, kind):
        self.kind = kind
        self.holder = None
        self.steered = False
        add_private_address()
        if kind == "loopback":
            # Signalling on loopback, media on the servers' address.
            self.signaling_address, self.generator_address = "127.0.0.1", ADDRESS
            return
        # Signalling across the pair too.
        self.signaling_address, self.generator_address = ADDRESS, GENERATOR_ADDRESS
        # A namespace that lives as long as its holder; the pair's far end moves into it.
        self.holder = subprocess.Popen(["unshare", "--net", "sleep", "86400"])
        self.namespace = f"/proc/{self.holder.pid}/ns/net"
        deadline = time.monotonic() + 10
        while os.readlink(self.namespace) == os.readlink("/proc/self/ns/net"):
            if time.monotonic() > deadline or self.holder.poll() is not None:
                raise RuntimeError("the generator's network namespace did not come up")
            time.sleep(0.01)
        subprocess.run(["ip", "link", "set", "sfu1", "netns", str(self.holder.pid)], check=True)
        for command in (["ip", "link", "set", "lo", "up"],
                        ["ip", "addr", "add", f"{GENERATOR_ADDRESS}/24", "dev", "sfu1"],
                        ["ip", "link", "set", "sfu1", "up"]):
            subprocess.run(self.inside(command), check=True)
        self.steered = steer("sfu0", SERVER_CORE, []) and steer("sfu1", GENERATOR_CORE, self.inside([]))

    def inside(self, command):
        """`command` run in the generator's namespace."""
        return ["nsenter", f"--net={self.namespace}", *command] if self.holder else list(command)

    def describe(self):
        if self.kind == "loopback":
            return "loopback: the generator in the servers' namespace; server CPU is its process's time"
        return (f"veth: the generator in its own namespace across a veth pair, receive work "
                f"{'steered to its reader' if self.steered else 'NOT steered (RPS unavailable)'}'s core; "
                f"server CPU is core {SERVER_CORE}'s busy time")

    def close(self):
        """The namespace, and the pair with it (the next `add_private_address` makes a new one)."""
        if self.holder:
            self.holder.kill()
            self.holder.wait()


def steer(device, core, prefix):
    """Receive work for packets arriving on `device` done on `core` (RPS), through a
    sysfs mounted for the device's namespace; False when that cannot be done."""
    mask = format(1 << int(core), "x")
    done = subprocess.run([*prefix, "unshare", "--mount", "sh", "-c",
                           f"mount -t sysfs sysfs /sys && echo {mask} > /sys/class/net/{device}/queues/rx-0/rps_cpus"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"RPS on {device}: {done.stderr.strip()}", file=sys.stderr)
    return done.returncode == 0


def start(server, arguments, port, folder, recordings=None):
    """A fresh server, pinned; its Janus WebSocket on `port`, SwiftSFU's own on port + 1;
    recording into `recordings` when given."""
    host = arguments.link.signaling_address
    if server == "janus":
        janus = Janus(port, wrapper=("taskset", "-c", SERVER_CORE), listen_everywhere=host != "127.0.0.1")
        janus.pid = janus.process.pid
        janus.url = f"ws://{host}:{port}/"
        return janus
    os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
    sfu = Server(arguments.sfu, port + 1, "--log-level", "warning", "--media-address", ADDRESS,
                 *(("--host", "0.0.0.0") if host != "127.0.0.1" else ()),
                 "--janus-ws-port", str(port), *(("--recordings-root", recordings) if recordings else ()),
                 wrapper=("taskset", "-c", SERVER_CORE), log=os.path.join(folder, "logs", f"sfu-{port}.log"))
    sfu.pid = sfu.process.pid
    sfu.url = f"ws://{host}:{port}/"
    sfu.native_url = f"ws://{host}:{port + 1}/ws"
    return sfu


def run_step(server, arguments, shape, port, folder):
    """One ladder step on a fresh server: the generator's report, or a failure."""
    recordings = tempfile.mkdtemp(prefix="recordings-", dir=folder) if shape.get("record") else None
    try:
        instance = start(server, arguments, port, folder, recordings)
    except Exception as error:  # noqa: BLE001 — a server that fails to start ends its ladder
        return {"failure": f"{server} did not start: {error}", "shape": shape}
    peers = shape["rooms"] * shape["publishers"] * (1 + shape["subscribers"])
    # Bounded: set-up at ~15 peers/s at worst (an overloaded server sets up slowly),
    # then warm-up, window and teardown.
    limit = 90 + peers / 15 + arguments.warm_up + arguments.duration
    face = ["--native", instance.native_url] if server == "swiftsfu-native" else ["--janus", instance.url]
    link = arguments.link
    command = [*link.inside(["taskset", "-c", GENERATOR_CORE]), arguments.load, *face,
               "--server-pid", str(instance.pid), "--local-address", link.generator_address,
               *(("--server-core", SERVER_CORE) if link.kind == "veth" else ()),
               "--rooms", str(shape["rooms"]), "--publishers", str(shape["publishers"]),
               "--subscribers", str(shape["subscribers"]), "--simulcast-layers", str(shape.get("layers", 1)),
               *(("--per-member",) if shape.get("per_member") else ()),
               *(("--idle",) if shape.get("idle") else ()),
               "--warm-up", str(arguments.warm_up),
               "--duration", str(arguments.duration), "--first-room", str(100 + port),
               *(("--record-to", recordings) if recordings else ()),
               *(("--real-media",) if arguments.real_media else ())]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
        try:
            report = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            report = {"failure": f"sfu-load exited {done.returncode}: {done.stderr[-1500:]}", "shape": shape}
    except subprocess.TimeoutExpired:
        report = {"failure": f"the step took over {limit:.0f} s", "shape": shape}
    finally:
        instance.stop()
        if recordings:
            # What the recordings weighed, then the disk back.
            sizes = [os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(recordings)
                     for name in names]
            report["recorded_files"], report["recorded_bytes"] = len(sizes), sum(sizes)
            if arguments.real_media:
                report["recordings_decode"] = recordings_decode(recordings)
            shutil.rmtree(recordings, ignore_errors=True)
    return report


def recordings_decode(folder):
    """Whether every media file recorded (WebM, Matroska, Ogg; not Janus's .mjr) decodes
    with libvpx and libopus without an error; None when there is none."""
    files = [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names
             if name.endswith((".webm", ".mkv", ".ogg"))]
    if not files:
        return None
    for path in files:
        decoders = ["-c:v", "libvpx"] if path.endswith(".webm") else []
        done = subprocess.run(["ffmpeg", "-v", "error", *decoders, "-c:a", "libopus", "-i", path, "-f", "null", "-"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or (done.stderr + done.stdout).strip():
            return False
    return True


def run_ladder(server, arguments, name, shapes, folder, port):
    steps = []
    for shape in shapes:
        report = run_step(server, arguments, shape, port, folder)
        port += 2
        if report.get("failure"):
            # A step that could not run (a request timed out on a loaded server, say) is
            # tried once more before it ends the ladder.
            print(f"{server:9} {name:14} {describe(shape):>18}: {summary(report)}; again", file=sys.stderr, flush=True)
            report = run_step(server, arguments, shape, port, folder)
            port += 2
        report["ladder"] = name
        # The step as asked for (the generator's own account of it leaves out --idle).
        report["shape"] = shape
        steps.append(report)
        print(f"{server:9} {name:14} {describe(shape):>18}: {summary(report)}", file=sys.stderr, flush=True)
        if report.get("failure") or report.get("loss", 1) > LOSS_LIMIT or generator_bound(report):
            break
    return steps, port


def generator_bound(report):
    return ((report.get("generator_cpu_percent") or 0) > GENERATOR_CPU_LIMIT
            or (report.get("maximum_send_lag_milliseconds") or 0) > SEND_LAG_LIMIT_MS)


def describe(shape):
    layers = shape.get("layers", 1)
    return (f"{shape['rooms']}×{shape['publishers']}→{shape['subscribers']}" + (f" ({layers} layers)" if layers > 1 else "")
            + (" recorded" if shape.get("record") else "") + (" per member" if shape.get("per_member") else "")
            + (" idle" if shape.get("idle") else ""))


def summary(report):
    if report.get("failure"):
        return "failed: " + report["failure"][:200]
    if report.get("shape", {}).get("idle"):
        return (f"{report.get('server_cpu_microseconds_per_peer_second') or float('nan'):.1f} µs CPU per peer per s, "
                f"server {report.get('server_cpu_percent') or 0:.1f} %, failed peers {report.get('failed_peers', 0)}")
    cpu = report.get("server_cpu_nanoseconds_per_packet")
    worker = report.get("server_worker_cpu_nanoseconds_per_packet")
    return (f"loss {report['loss'] * 100:.2f} %, {report['forwarded_packets_per_second']:.0f} pkt/s, "
            f"CPU {cpu / 1000 if cpu else float('nan'):.2f} µs/pkt"
            + (f" (workers {worker / 1000:.2f})" if worker else "")
            + f", server {report.get('server_cpu_percent') or 0:.0f} %, "
            f"generator {report.get('generator_cpu_percent') or 0:.0f} %, "
            f"p99 {report['latency_microseconds']['p99'] / 1000:.2f} ms"
            + (" (generator-bound)" if generator_bound(report) else ""))


# Packets received twice (a stamp seen again) are excess too; a loaded machine shows a
# handful in any step (4 of 358 in the smoke's 2-second 1 -> 1 step once, 0 in the next
# three runs), so below this many a step is not excessive however small it is. A layer
# forwarded in place of another is hundreds.
EXCESS_FLOOR = 10


def excessive(step):
    return step.get("excess_packets", 0) > max(LOSS_LIMIT * step.get("expected_packets", 0), EXCESS_FLOOR)


def clean(step):
    """A step that ran, lost at most 1 %, forwarded no more than 1 % it should not have
    (a simulcast encoding no subscriber asked for), and measured the server."""
    if step and step.get("shape", {}).get("idle"):
        return (not step.get("failure") and not step.get("failed_peers")
                and bool(step.get("server_cpu_microseconds_per_peer_second")))
    return (bool(step) and not step.get("failure") and step.get("loss", 1) <= LOSS_LIMIT
            and not excessive(step) and not generator_bound(step) and bool(step.get("server_cpu_nanoseconds_per_packet")))


def capacity(steps):
    """The last clean step."""
    done = [step for step in steps if clean(step)]
    return done[-1] if done else None


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    with open("/proc/meminfo") as meminfo:
        memory = int(meminfo.readline().split()[1]) // 1024
    janus = subprocess.run(["janus", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "memory_mib": memory, "kernel": platform.release(),
            "janus": janus[0] if janus else "?", "swiftsfu_commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def table(results):
    """Markdown: every SwiftSFU face against Janus, step by step, then the capacities."""
    sections = []
    for name in results["servers"]:
        if name != "janus" and any(ladder != "idle" for ladder in results["ladders"]):
            sections.append(f"### Janus against {name}\n\n" + comparison(results, name))
    lines = ["", f"† the generator was the bottleneck (over {GENERATOR_CPU_LIMIT} % of its core, or a send "
             f"{SEND_LAG_LIMIT_MS} ms late): the step measures it, not the server.", ""]
    if "idle" in results["ladders"]:
        sections.append("### Idle peers: server CPU per connected peer\n\n" + idle_table(results))
    for server in results["servers"]:
        for ladder in results["ladders"]:
            if ladder == "idle":
                continue
            best = capacity([step for step in results["servers"].get(server, []) if step["ladder"] == ladder])
            lines.append(f"- {server} {ladder}: last clean step "
                         + (describe(best["shape"]) + f" ({best['forwarded_packets_per_second']:.0f} packets/s, "
                            f"{best['forwarded_mbit_per_second']:.0f} Mbit/s)" if best else "none"))
    return "\n\n".join(sections) + "\n" + "\n".join(lines)


def idle_table(results):
    """Markdown: µs of server CPU per idle peer per second, each server, step by step."""
    servers = list(results["servers"])
    lines = ["| step | peers | " + " | ".join(f"{server} µs/peer/s" for server in servers)
             + " | " + " | ".join(f"{server} CPU %" for server in servers) + " |",
             "|---|---|" + "---|" * (2 * len(servers))]
    steps = {}
    for server in servers:
        for step in results["servers"][server]:
            if step["ladder"] == "idle":
                steps.setdefault(describe(step["shape"]), {})[server] = step
    for shape, by_server in steps.items():
        count = idle_peers(next(iter(by_server.values()))["shape"])
        lines.append(f"| {shape} | {count} | "
                     + " | ".join(f"{by_server[s]['server_cpu_microseconds_per_peer_second']:.1f}"
                                  if clean(by_server.get(s)) else "–" for s in servers) + " | "
                     + " | ".join(f"{by_server[s].get('server_cpu_percent') or 0:.1f}" if s in by_server else "–"
                                  for s in servers) + " |")
    margins = {server: marginal_idle_cost([step for step in results["servers"][server] if step["ladder"] == "idle"])
               for server in servers}
    if any(margin is not None for margin in margins.values()):
        janus = margins.get("janus")
        lines += ["", "What one more idle peer costs (the servers' CPU between the first and the last clean "
                  "step, over the peers added; the core's own baseline and each server's fixed cost cancel out): "
                  + "; ".join(f"{server} {margin:.1f} µs/peer/s"
                              + (f" ({margin / janus:.2f} of Janus's)" if janus and server != "janus" else "")
                              for server, margin in margins.items() if margin is not None) + "."]
    return "\n".join(lines)


def marginal_idle_cost(steps):
    """µs of server CPU a second per idle peer added between the first and the last clean
    idle step; `None` with fewer than two of them."""
    done = sorted((step for step in steps if clean(step)), key=lambda step: idle_peers(step["shape"]))
    if len(done) < 2 or idle_peers(done[-1]["shape"]) == idle_peers(done[0]["shape"]):
        return None
    first, last = done[0], done[-1]
    added = (last.get("server_cpu_percent") or 0) - (first.get("server_cpu_percent") or 0)
    return added * 10_000 / (idle_peers(last["shape"]) - idle_peers(first["shape"]))


def idle_peers(shape):
    """Connections in an idle step: each member publishes on one and subscribes on another."""
    return shape["rooms"] * shape["publishers"] * 2


def comparison(results, name):
    """Markdown: every step of Janus and `name` side by side, with ratios."""
    lines = ["| ladder | step | Janus CPU µs/pkt | SwiftSFU CPU µs/pkt | ratio (clean steps) | Janus loss | SwiftSFU loss "
             "| Janus p99 ms | SwiftSFU p99 ms | Janus MiB/peer | SwiftSFU MiB/peer | generator CPU % (J / S) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    by_step = {}
    for server in ("janus", name):
        for step in results["servers"].get(server, []):
            if step["ladder"] == "idle":
                continue
            by_step.setdefault((step["ladder"], describe(step["shape"])), {})[server] = step
    for (ladder, shape), pair in by_step.items():
        janus, ours = pair.get("janus", {}), pair.get(name, {})

        def cell(step, key, scale=1.0, digits=2):
            value = step.get(key)
            if step.get("failure") or value is None:
                return "failed" if step.get("failure") else "–"
            return f"{value / scale:.{digits}f}"

        def p99(step):
            return "–" if not step or step.get("failure") else f"{step['latency_microseconds']['p99'] / 1000:.2f}"

        ratio = "–"
        if clean(janus) and clean(ours):
            ratio = f"{ours['server_cpu_nanoseconds_per_packet'] / janus['server_cpu_nanoseconds_per_packet']:.2f}"
        loss = [f"{step['loss'] * 100:.2f} %" + (" †" if generator_bound(step) else "")
                if step and not step.get("failure") else ("failed" if step else "–")
                for step in (janus, ours)]
        generator = " / ".join(f"{step.get('generator_cpu_percent') or 0:.0f}" if step else "–"
                               for step in (janus, ours))
        lines.append(f"| {ladder} | {shape} | {cell(janus, 'server_cpu_nanoseconds_per_packet', 1000)} "
                     f"| {cell(ours, 'server_cpu_nanoseconds_per_packet', 1000)} | {ratio} | {loss[0]} | {loss[1]} "
                     f"| {p99(janus)} | {p99(ours)} | {cell(janus, 'memory_per_peer_bytes', 1 << 20, 3)} "
                     f"| {cell(ours, 'memory_per_peer_bytes', 1 << 20, 3)} | {generator} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sfu", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="a short ladder, to check the tooling")
    parser.add_argument("--smoke", action="store_true", help="the shortest ladder, for CI")
    parser.add_argument("--check", action="store_true", help="exit 1 unless every step was clean")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warm-up", type=float, default=3)
    parser.add_argument("--servers", default="janus,swiftsfu",
                        help="of janus, swiftsfu (its Janus face), swiftsfu-native (its native protocol)")
    parser.add_argument("--real-media", action="store_true",
                        help="publishers send real VP8 and Opus (sfu-load --real-media); recordings must decode")
    parser.add_argument("--link", choices=("veth", "loopback"), default="veth",
                        help="the generator across a veth pair in its own namespace (default), or on loopback")
    parser.add_argument("--ladders",
                        help="a comma-separated subset of fan-out, rooms-of-7, simulcast, rooms-of-7-recorded, "
                             "rooms-of-4, rooms-of-4-per-member, rooms-of-7-per-member, idle")
    arguments = parser.parse_args()
    arguments.link = Link(arguments.link)
    try:
        run(arguments)
    finally:
        arguments.link.close()


def run(arguments):
    os.makedirs(arguments.out, exist_ok=True)
    fan_out, rooms, simulcast = ((SMOKE_FAN_OUT, SMOKE_ROOMS, SMOKE_SIMULCAST) if arguments.smoke else
                                 (QUICK_FAN_OUT, QUICK_ROOMS, QUICK_SIMULCAST) if arguments.quick else
                                 (FAN_OUT, ROOMS_OF_SEVEN, SIMULCAST_FAN_OUT))
    ladders = {
        "fan-out": [{"rooms": 1, "publishers": 1, "subscribers": count} for count in fan_out],
        "rooms-of-7": [{"rooms": count, "publishers": 7, "subscribers": 6} for count in rooms],
        "simulcast": [{"rooms": 1, "publishers": 1, "subscribers": count, "layers": SIMULCAST_LAYERS}
                      for count in simulcast],
        # Every publisher recorded (Janus: .mjr files; SwiftSFU: WebM), against rooms-of-7.
        "rooms-of-7-recorded": [{"rooms": count, "publishers": 7, "subscribers": 6, "record": True}
                                for count in rooms],
        "rooms-of-7-per-member": [{"rooms": count, "publishers": 7, "subscribers": 6, "per_member": True}
                                  for count in rooms],
    }
    for name, per_member in (("rooms-of-4", False), ("rooms-of-4-per-member", True)):
        counts = (SMOKE_ROOMS_OF_FOUR[name] if arguments.smoke else QUICK_ROOMS_OF_FOUR if arguments.quick
                  else ROOMS_OF_FOUR)
        ladders[name] = [{"rooms": count, "publishers": 4, "subscribers": 3, **({"per_member": True} if per_member else {})}
                         for count in counts]
    ladders["idle"] = [{"rooms": count, "publishers": 4, "subscribers": 3, "per_member": True, "idle": True}
                       for count in ([] if arguments.smoke else QUICK_IDLE_ROOMS if arguments.quick else IDLE_ROOMS)]
    if arguments.smoke:
        ladders["rooms-of-7-per-member"] = [{**shape, "rooms": count} for shape in ladders["rooms-of-7-per-member"][:1]
                                            for count in SMOKE_ROOMS_OF_FOUR["rooms-of-7-per-member"]]
    if arguments.ladders:
        ladders = {name: ladders[name] for name in arguments.ladders.split(",")}
    ladders = {name: shapes for name, shapes in ladders.items() if shapes}
    results = {"machine": machine(), "link": arguments.link.describe(), "loss_limit": LOSS_LIMIT, "duration_seconds": arguments.duration,
               "warm_up_seconds": arguments.warm_up, "ladders": list(ladders), "servers": {}}
    port = 9300
    for server in arguments.servers.split(","):
        results["servers"][server] = []
        for name, shapes in ladders.items():
            steps, port = run_ladder(server, arguments, name, shapes, arguments.out, port)
            results["servers"][server].extend(steps)
    with open(os.path.join(arguments.out, "results.json"), "w") as output:
        json.dump(results, output, indent=1)
    text = table(results)
    with open(os.path.join(arguments.out, "results.md"), "w") as output:
        output.write(f"# SwiftSFU against Janus\n\n{json.dumps(results['machine'])}\n\n"
                     f"Link: {results['link']}.\n\n{text}\n")
    write_chart(results, os.path.join(arguments.out, "chart.svg"))
    print(text)
    if arguments.check:
        bad = [f"{server} {step['ladder']} {describe(step['shape'])}: {summary(step)}"
               for server, steps in results["servers"].items() for step in steps
               if (not clean(step) if step.get("shape", {}).get("idle") else
                   step.get("failure") or step.get("loss", 1) > LOSS_LIMIT or excessive(step)
                   or not step.get("server_cpu_nanoseconds_per_packet")) or step.get("failed_peers")
               or step.get("recordings_decode") is False]
        expected = sum(len(shapes) for shapes in ladders.values()) * len(results["servers"])
        ran = sum(len(steps) for steps in results["servers"].values())
        if bad or ran != expected:
            print(f"check failed: {ran} of {expected} steps ran; " + "; ".join(bad), file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
