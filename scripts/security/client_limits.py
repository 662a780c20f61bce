"""The per-address limits of the signaling listeners, against the `sfu` executable, as an
abusive client and a well-behaved neighbour would meet them.

Usage: client_limits.py SFU PORT. Runs on loopback: 127.0.0.1 is the abusive client,
127.0.0.2 its neighbour (the server is told to trust no address). Prints one JSON object
of what it saw; exits non-zero on a failed check.
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request

import websocket

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/browser")
from harness import Server, wait_until  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
JANUS_HTTP = PORT + 1
CONNECTIONS, RATE, BURST = 5, 10, 20
checks = {}


def fail(reason):
    print(json.dumps({"checks": checks, "failure": reason}, indent=2))
    sys.exit(1)


def raw_request(source, path="/ws", port=PORT):
    """An HTTP upgrade request from `source` on a raw socket: the status line of the answer
    and the socket (open when the upgrade succeeded)."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    connection.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer.split(b"\r\n", 1)[0].decode(), answer, connection


def native(source):
    """A native-protocol WebSocket from `source`."""
    connection = socket.create_connection(("127.0.0.1", PORT), timeout=5, source_address=(source, 0))
    return websocket.create_connection(f"ws://127.0.0.1:{PORT}/ws", timeout=5, socket=connection)


server = Server(SERVER, PORT, "--trusted-address", "none", "--connections-per-address", str(CONNECTIONS),
                "--requests-per-second", str(RATE), "--request-burst", str(BURST), "--janus-http-port",
                str(JANUS_HTTP))
try:
    # Slow clients (from 127.0.0.3): one sends half a request head and stops, one sends
    # nothing. Both must be closed once the head deadline (10 s) passes.
    slow_start = time.monotonic()
    trickler = socket.create_connection(("127.0.0.1", PORT), timeout=30, source_address=("127.0.0.3", 0))
    trickler.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    silent = socket.create_connection(("127.0.0.1", PORT), timeout=30, source_address=("127.0.0.3", 0))

    # The harness's health checks spent some of 127.0.0.1's tokens: wait for a full bucket.
    time.sleep(BURST / RATE + 0.5)

    # Connections: the limit's worth open, the next one refused with 429, a neighbour served.
    held = [native("127.0.0.1") for _ in range(CONNECTIONS)]
    status, answer, refused = raw_request("127.0.0.1")
    checks["connection_over_limit"] = status
    checks["connection_over_limit_body"] = answer.split(b"\r\n\r\n", 1)[-1].decode()
    if not status.startswith("HTTP/1.1 429"):
        fail("a connection over the limit was not refused with 429")
    refused.settimeout(2)
    checks["refused_connection_closed"] = refused.recv(1) == b""
    neighbour = native("127.0.0.2")
    neighbour.send(json.dumps({"type": "nonsense", "id": 1}))
    checks["neighbour_served"] = json.loads(neighbour.recv()).get("code") == "unknown_type"
    if not checks["neighbour_served"]:
        fail("a neighbour's connection was not served")
    # A closed connection gives its place back.
    held.pop().close()
    # Until the server has seen the close, a new connection is still refused (and counted).
    early_attempts = []

    def reopened():
        try:
            held.append(native("127.0.0.1"))
            return True
        except (websocket.WebSocketException, OSError):
            early_attempts.append(1)
            return False

    checks["place_given_back"] = bool(wait_until(reopened, 5))
    if not checks["place_given_back"]:
        fail("a closed connection's place was not given back")

    # Requests: a flood of messages on one connection meets `rate_limited` past the burst;
    # the neighbour is not slowed down.
    time.sleep(BURST / RATE + 0.5)
    flood = held[0]
    for index in range(60):
        flood.send(json.dumps({"type": "nonsense", "id": index}))
    codes = [json.loads(flood.recv()).get("code") for _ in range(60)]
    checks["flood_answers"] = {code: codes.count(code) for code in set(codes)}
    if codes.count("rate_limited") < 60 - BURST - 2 or codes.count("unknown_type") < BURST - 2:
        fail("the flood was not limited to the burst")
    neighbour.send(json.dumps({"type": "nonsense", "id": 2}))
    checks["neighbour_after_flood"] = json.loads(neighbour.recv()).get("code")
    if checks["neighbour_after_flood"] != "unknown_type":
        fail("the neighbour was limited by another address's flood")
    # The bucket refills: a second later the address is served again.
    time.sleep(1.2)
    flood.send(json.dumps({"type": "nonsense", "id": 99}))
    checks["after_refill"] = json.loads(flood.recv()).get("code")
    if checks["after_refill"] != "unknown_type":
        fail("the address was not served again after its bucket refilled")

    # HTTP requests (the Janus API's REST transport) past the rate: 429 with Retry-After.
    # (Connections count on every listener together: the WebSockets go first.)
    for connection in held:
        connection.close()
    time.sleep(BURST / RATE + 0.5)
    statuses = []
    for _ in range(BURST + 10):
        request = urllib.request.Request(f"http://127.0.0.1:{JANUS_HTTP}/janus", method="POST",
                                         data=json.dumps({"janus": "ping", "transaction": "t"}).encode())
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                statuses.append(reply.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
            checks["retry_after"] = error.headers.get("Retry-After")
    checks["http_statuses"] = {str(code): statuses.count(code) for code in set(statuses)}
    if statuses.count(429) < 8 or statuses.count(200) < BURST - 2 or checks.get("retry_after") != "1":
        fail("HTTP requests past the rate were not refused with 429")

    # The slow clients were closed at the deadline, not before.
    for name, connection in (("trickler", trickler), ("silent", silent)):
        connection.settimeout(max(0.1, 15 - (time.monotonic() - slow_start)))
        try:
            closed = connection.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            closed = False
        checks[f"{name}_closed_after_s"] = round(time.monotonic() - slow_start, 1) if closed else None
        connection.close()
    if not all(9 <= (checks[f"{name}_closed_after_s"] or 0) <= 15 for name in ("trickler", "silent")):
        fail("a slow client was not closed at the head deadline")
    # The deadline is the head's only: a WebSocket opened before it is still served.
    neighbour.send(json.dumps({"type": "nonsense", "id": 3}))
    checks["neighbour_after_deadline"] = json.loads(neighbour.recv()).get("code")
    neighbour.close()
    if checks["neighbour_after_deadline"] != "unknown_type":
        fail("a WebSocket was closed at the head deadline")

    # Every refusal counted; read from the neighbour, whose bucket is full.
    def metric(name):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}/metrics")
        opener = urllib.request.build_opener(SourceHandler("127.0.0.2"))
        for line in opener.open(request, timeout=5).read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    class SourceHandler(urllib.request.HTTPHandler):
        def __init__(self, source):
            super().__init__()
            self.source = source

        def http_open(self, request):
            import http.client

            return self.do_open(lambda host, **kw: http.client.HTTPConnection(
                host, source_address=(self.source, 0), **kw), request)

    checks["refusals_counted"] = {
        "connections": metric('sfu_client_limit_refusals_total{limit="connections"}'),
        "requests": metric('sfu_client_limit_refusals_total{limit="requests"}'),
    }
    checks["refused_before_the_close_was_seen"] = len(early_attempts)
    if checks["refusals_counted"]["connections"] != 1 + len(early_attempts) or (checks["refusals_counted"]["requests"] or 0) < 48:
        fail("the refusals were not counted")
finally:
    code, log = server.stop()
print(json.dumps({"checks": checks, "server_exit": code}, indent=2))
if code != 0:
    sys.exit(1)
