"""What unauthenticated STUN binding requests cost the server, with and without the
kernel rule docs/security.md gives.

Starts the `sfu` given on the command line (run this inside a network namespace that has
only `lo`), has one demo-page participant in headless Chromium publish so that a media
port exists, then sends COUNT binding requests with a wrong USERNAME and MESSAGE-INTEGRITY
(a valid FINGERPRINT) from 127.0.0.2 to that port and reports how many were answered, how
large the answers were and the server's CPU per request (its idle CPU subtracted). With
`--rule`, the iptables rule of docs/security.md is installed first.

Usage: stun_flood.py SFU PORT [COUNT] [--rule]. Prints one JSON object.
"""

import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from harness import Server, chromium, udp_ports, wait_until  # noqa: E402

arguments = [argument for argument in sys.argv[1:] if argument != "--rule"]
SERVER, PORT = arguments[0], int(arguments[1])
COUNT = int(arguments[2]) if len(arguments) > 2 else 200_000
RULE = ["-p", "udp", "-m", "u32", "--u32", "0>>22&0x3C@8=0x00010000:0x0001FFFF && 0>>22&0x3C@12=0x2112A442",
        "-m", "hashlimit", "--hashlimit-above", "50/sec", "--hashlimit-burst", "100", "--hashlimit-mode", "srcip",
        "--hashlimit-name", "stun", "-j", "DROP"]


def binding_request(username):
    """A binding request for `username` whose integrity was computed with a wrong password."""
    transaction = os.urandom(12)
    padding = b"\0" * ((4 - len(username) % 4) % 4)
    attributes = struct.pack("!HH", 0x0006, len(username)) + username + padding
    attributes += struct.pack("!HHI", 0x0024, 4, 0x6E7F00FF)  # PRIORITY
    attributes += struct.pack("!HH", 0x802A, 8) + os.urandom(8)  # ICE-CONTROLLING
    header = struct.pack("!HHI", 0x0001, len(attributes) + 24, 0x2112A442) + transaction
    attributes += struct.pack("!HH", 0x0008, 20) + hmac.new(b"not-the-password", header + attributes,
                                                            hashlib.sha1).digest()
    header = struct.pack("!HHI", 0x0001, len(attributes) + 8, 0x2112A442) + transaction
    fingerprint = (zlib.crc32(header + attributes) ^ 0x5354554E) & 0xFFFFFFFF
    return header + attributes + struct.pack("!HHI", 0x8028, 4, fingerprint)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if "--rule" in sys.argv:
    subprocess.run(["iptables", "-A", "INPUT", *RULE], check=True)
server = Server(SERVER, PORT)
driver = chromium()
try:
    driver.get(f"http://127.0.0.1:{PORT}/?room=stun&name=P0&autojoin=1&camera=320x180")
    ports = wait_until(lambda: udp_ports(server.process.pid), 30)
    time.sleep(5)
    pid = server.process.pid
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sender.bind(("127.0.0.2", 0))
    sender.setblocking(False)
    requests = [binding_request(b"attacker:attacked") for _ in range(256)]
    start = cpu_seconds(pid)
    time.sleep(5)
    idle = (cpu_seconds(pid) - start) / 5
    answers, sizes = 0, set()

    def drain():
        global answers
        while True:
            try:
                sizes.add(len(sender.recv(2048)))
                answers += 1
            except BlockingIOError:
                return

    start, began = cpu_seconds(pid), time.monotonic()
    for index in range(COUNT):
        sender.sendto(requests[index & 255], ("127.0.0.1", ports[index % len(ports)]))
        if index % 64 == 63:
            time.sleep(0.0005)
            drain()
    elapsed = time.monotonic() - began
    time.sleep(1)
    drain()
    used = cpu_seconds(pid) - start - idle * (elapsed + 1)
    print(json.dumps({
        "rule": "--rule" in sys.argv, "requests": COUNT, "per_second": round(COUNT / elapsed),
        "answered": answers, "answer_sizes": sorted(sizes), "request_size": len(requests[0]),
        "server_cpu_s": round(used, 3), "us_per_request": round(used / COUNT * 1e6, 2)}))
finally:
    driver.quit()
    server.stop()
