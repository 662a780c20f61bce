"""TURN credentials against a real coturn (Debian's) on loopback.

coturn runs with `use-auth-secret` and the secret the server is given; the server hands
out credentials from `/ice-servers`, in the native face's `joined`, and to janus.js.

1. Credentials: `/ice-servers` refuses a caller without the Janus api secret, on the
   main listener and on the Janus HTTP one; with it, an independent TURN client (aioice)
   allocates a relay with the credentials and a datagram makes the round trip through
   it. Forged credentials (a changed password, or one signed with another secret) are
   refused.
2. Browsers, relay only (`--ice-transport-policy relay`): two demo-page participants
   (native face) and a janus.js publisher and subscriber (Janus face, options from
   `/ice-servers`) decode each other's video with a relay candidate selected.
3. Expiry: once the first credentials' expiry has passed, coturn refuses them; fresh
   ones from the endpoint still allocate.

Usage (inside a network namespace that has only `lo`): relay_call.py SFU PORT
Prints one JSON object with what it measured; exits non-zero on a failed check.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "janus"))
from harness import Server, chromium, wait_until  # noqa: E402
from janusjs_page import serve_janusjs_page  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
WS_PORT, HTTP_PORT, PAGE_PORT, TURN_PORT = PORT + 100, PORT + 200, PORT + 300, PORT + 400
SECRET, API_SECRET, TTL = "coturn-shared-secret", "janus-api-secret", 25
ROOM = 4343
result = {"checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


def fetch(url, data=None):
    """(status, JSON body) of a GET, or of a POST when `data` is given."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def turn_server(directory):
    log = open(os.path.join(directory, "coturn.log"), "w")
    process = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={TURN_PORT}",
         "--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=swiftsfu.test", "--no-tls", "--no-dtls",
         "--no-cli", "--allow-loopback-peers", "--min-port=49160", "--max-port=49400", "--fingerprint",
         "--log-file=stdout", "--simple-log"], stdout=log, stderr=subprocess.STDOUT)
    time.sleep(1)
    if process.poll() is not None:
        fail("turnserver did not start: " + open(log.name).read()[-1000:])
    return process, log.name


async def allocate(username, password):
    """Allocates a relay and sends a datagram through it to a local socket and back;
    returns "relayed", or why it did not."""
    import aioice.turn

    loop = asyncio.get_running_loop()
    echoed = loop.create_future()

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, address):
            self.transport.sendto(b"echo:" + data, address)

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data, address):
            if not echoed.done():
                echoed.set_result(data)

    echo, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    try:
        relay, _ = await asyncio.wait_for(aioice.turn.create_turn_endpoint(
            Client, ("127.0.0.1", TURN_PORT), username, password), 5)
    except Exception as error:  # aioice raises its TransactionFailed with the STUN error
        echo.close()
        return f"refused: {error}"
    try:
        relay.sendto(b"through the relay", echo.get_extra_info("sockname"))
        data = await asyncio.wait_for(echoed, 5)
        return "relayed" if data == b"echo:through the relay" else f"echoed {data!r}"
    except asyncio.TimeoutError:
        return "allocated, but nothing came back through the relay"
    finally:
        relay.close()
        echo.close()


def turn_entry(configuration):
    return next(server for server in configuration["iceServers"] if "username" in server)


def selected_candidate_type(driver, tab, pc_expression):
    driver.switch_to.window(tab)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const pc = """ + pc_expression + """;
        if (!pc) { done(null); return; }
        pc.getStats().then((stats) => {
          let pair = null;
          stats.forEach((report) => {
            if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
          });
          const local = pair && stats.get(pair.localCandidateId);
          done(local ? local.candidateType : null);
        });""")


def frames(driver, tab, pc_expression):
    driver.switch_to.window(tab)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const pc = """ + pc_expression + """;
        if (!pc) { done(0); return; }
        pc.getStats().then((stats) => {
          let frames = 0;
          stats.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0; });
          done(frames);
        });""")


def browsers(server):
    """Two native participants and a janus.js publisher and subscriber, relay only."""
    checks = result["checks"]
    session = fetch(f"http://127.0.0.1:{HTTP_PORT}/janus", {"janus": "create", "transaction": "t1",
                                                           "apisecret": API_SECRET})[1]["data"]["id"]
    handle = fetch(f"http://127.0.0.1:{HTTP_PORT}/janus/{session}", {
        "janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "t2", "apisecret": API_SECRET})[1]
    created = fetch(f"http://127.0.0.1:{HTTP_PORT}/janus/{session}/{handle['data']['id']}", {
        "janus": "message", "transaction": "t3", "apisecret": API_SECRET,
        "body": {"request": "create", "room": ROOM, "publishers": 4, "videocodec": "vp8"}})[1]
    if created["plugindata"]["data"].get("videoroom") != "created":
        fail(f"create: {created}")
    page = serve_janusjs_page(PAGE_PORT)
    driver = chromium()
    try:
        tabs = {}
        for name in ["native_a", "native_b"]:
            if tabs:
                driver.switch_to.new_window("tab")
            driver.get(f"{server.base}/?room=turn-relay&name={name}&autojoin=1")
            tabs[name] = driver.current_window_handle
        janus_base = (f"http://127.0.0.1:{PAGE_PORT}/index.html?room={ROOM}&apisecret={API_SECRET}"
                      f"&ice=http://127.0.0.1:{HTTP_PORT}/ice-servers%3Fuser%3Djanus-user%26apisecret%3D{API_SECRET}"
                      f"&server=ws://127.0.0.1:{WS_PORT}/")
        for role in ["publisher", "subscriber"]:
            driver.switch_to.new_window("tab")
            driver.get(f"{janus_base}&role={role}&display={role}")
            tabs["janus_" + role] = driver.current_window_handle
        receivers = {
            "native_a": "window.sfuDemo && window.sfuDemo.client && window.sfuDemo.client.subscriber",
            "native_b": "window.sfuDemo && window.sfuDemo.client && window.sfuDemo.client.subscriber",
            "janus_subscriber": "window.subscriberPC && window.subscriberPC()",
        }
        senders = {
            "native_a": "window.sfuDemo && window.sfuDemo.client && window.sfuDemo.client.publisher",
            "janus_publisher": "window.publisherPC && window.publisherPC()",
        }
        if not wait_until(lambda: all(frames(driver, tabs[n], pc) > 0 for n, pc in receivers.items()), 40):
            states = {}
            for name in ["janus_publisher", "janus_subscriber"]:
                driver.switch_to.window(tabs[name])
                states[name] = driver.execute_script("return window.state")
            fail("a relayed receiver decoded nothing: "
                 + json.dumps({n: frames(driver, tabs[n], pc) for n, pc in receivers.items()}) + json.dumps(states))
        before = {name: frames(driver, tabs[name], pc) for name, pc in receivers.items()}
        time.sleep(4)
        checks["frames_decoded_growth"] = {name: frames(driver, tabs[name], pc) - before[name]
                                           for name, pc in receivers.items()}
        checks["selected_candidate_types"] = {
            name: selected_candidate_type(driver, tabs[name], pc) for name, pc in {**receivers, **senders}.items()}
        driver.switch_to.window(tabs["janus_publisher"])
        configuration = driver.execute_script("return window.state.iceConfiguration")
        checks["janus_page_policy"] = configuration and configuration.get("iceTransportPolicy")
    finally:
        driver.quit()
        page.shutdown()


async def main():
    checks = result["checks"]
    work = tempfile.mkdtemp(prefix="turn-")
    coturn, coturn_log = turn_server(work)
    server = None
    try:
        server = Server(SERVER, PORT, "--client-ice-server", f"stun:127.0.0.1:{TURN_PORT}", "--client-ice-server",
                        f"turn:127.0.0.1:{TURN_PORT}", "--turn-secret", SECRET, "--turn-credential-ttl", str(TTL),
                        "--ice-transport-policy", "relay", "--janus-api-secret", API_SECRET,
                        "--janus-ws-port", str(WS_PORT), "--janus-http-port", str(HTTP_PORT))
        # 1. Credentials from both listeners; the api secret is required.
        checks["without_secret"] = fetch(f"{server.base}/ice-servers?user=alice")[0]
        status, alice = fetch(f"{server.base}/ice-servers?user=alice&apisecret={API_SECRET}")
        janus_status, bob = fetch(f"http://127.0.0.1:{HTTP_PORT}/ice-servers?user=bob&apisecret={API_SECRET}")
        checks["issued"] = [status, janus_status]
        if status != 200 or janus_status != 200:
            fail(f"/ice-servers answered {status} and {janus_status}")
        checks["policy"] = alice["iceTransportPolicy"]
        checks["ttl"] = alice["ttl"]
        entry = turn_entry(alice)
        expiry = int(entry["username"].split(":")[0])
        checks["expiry_in"] = expiry - int(time.time())
        checks["username"] = entry["username"].split(":", 1)[1]
        checks["alice"] = await allocate(entry["username"], entry["credential"])
        checks["bob"] = await allocate(turn_entry(bob)["username"], turn_entry(bob)["credential"])
        forged = base64.b64encode(bytes(b ^ 1 for b in base64.b64decode(entry["credential"]))).decode()
        checks["forged"] = await allocate(entry["username"], forged)
        other = base64.b64encode(hmac.new(b"another secret", entry["username"].encode(), hashlib.sha1).digest())
        checks["other_secret"] = await allocate(entry["username"], other.decode())
        checks["longer_lifetime"] = await allocate(f"{expiry + 3600}:alice", entry["credential"])

        # 2. Browsers, relay only.
        browsers(server)

        # 3. Expiry.
        wait = expiry + 2 - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        checks["expired"] = await allocate(entry["username"], entry["credential"])
        fresh = turn_entry(fetch(f"{server.base}/ice-servers?user=alice&apisecret={API_SECRET}")[1])
        checks["fresh_after_expiry"] = await allocate(fresh["username"], fresh["credential"])
        metrics = server.metrics()
        checks["issued_counted"] = metrics.get('sfu_signaling_requests_total{face="ice_servers",type="issued"}', 0)
        checks["refusals_counted"] = metrics.get('sfu_signaling_errors_total{face="ice_servers",code="unauthorized"}', 0)
    finally:
        if server is not None:
            code, log = server.stop()
            result["server_exit"] = code
            if code != 0:
                result["server_log"] = log
        coturn.terminate()
        coturn.wait(timeout=10)
        if result.get("failure"):
            result["coturn_log"] = open(coturn_log).read()[-1500:]


asyncio.run(main())
checks = result["checks"]
for name in ["alice", "bob", "fresh_after_expiry"]:
    if checks.get(name) != "relayed":
        fail(f"{name}'s credentials did not relay: {checks.get(name)}")
for name in ["forged", "other_secret", "longer_lifetime", "expired"]:
    if "401" not in str(checks.get(name)):
        fail(f"{name} credentials were not refused with 401: {checks.get(name)}")
if min(checks.get("frames_decoded_growth", {"none": 0}).values()) < 30:
    fail("a relayed receiver decoded fewer than 30 frames in 4 s")
if set(checks.get("selected_candidate_types", {}).values()) != {"relay"}:
    fail("a browser's selected pair is not relayed")
print(json.dumps(result))
