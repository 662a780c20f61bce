"""The Janus Admin API of a running server, as a deployment's tools use it, with
`token_auth` on and no token stored at start (`SFU_JANUS_TOKENS` empty): a request
without a stored token is refused (403); the Admin API (its own port, `admin_secret`)
adds a token; janus.js in Chromium, given that token, publishes and a subscriber decodes;
the Admin API lists the call's sessions and describes the publisher's handle; the token
is removed and a new session with it is refused again. The Admin API refuses a request
without the secret. Over its WebSocket transport (`janus-admin-protocol`, its own port)
it lists the same sessions, and `set_log_level` changes the level `get_status` reports.

Usage (as root, inside a network namespace that has only `lo`): admin_tokens.py SFU PORT
Prints one JSON object with the checks. Exits non-zero when a check fails.
"""

import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import swiftsfu_call  # noqa: E402

import websocket  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
ADMIN_PORT, ADMIN_WS_PORT, SECRET, TOKEN = PORT + 200, PORT + 201, "admin-s3cret", "call-token-1"
ROOM = 7272
result = {"checks": {}}
checks = result["checks"]


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result, indent=2))
    sys.exit(1)


def admin(request, path="/admin"):
    body = json.dumps({"transaction": "a", **request}).encode()
    post = urllib.request.Request(f"http://127.0.0.1:{ADMIN_PORT}{path}", data=body,
                                  headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(post, timeout=5) as reply:
        return json.loads(reply.read())


def admin_ws(requests):
    """The replies to `requests`, sent in turn over one Admin API WebSocket."""
    socket = websocket.create_connection(f"ws://127.0.0.1:{ADMIN_WS_PORT}/", subprotocols=["janus-admin-protocol"],
                                         timeout=5)
    try:
        replies = []
        for request in requests:
            socket.send(json.dumps({"transaction": "w", **request}))
            replies.append(json.loads(socket.recv()))
        return replies
    finally:
        socket.close()


def create_session(token):
    """A Janus `create` over the WebSocket transport, with `token` (or none)."""
    socket = websocket.create_connection(f"ws://127.0.0.1:{PORT + 100}/", subprotocols=["janus-protocol"], timeout=5)
    try:
        message = {"janus": "create", "transaction": "c"}
        if token:
            message["token"] = token
        socket.send(json.dumps(message))
        return json.loads(socket.recv())
    finally:
        socket.close()


# token_auth on, nothing stored: only the Admin API can let anyone in.
os.environ["SFU_JANUS_TOKENS"] = ""
arguments = ("--janus-admin-secret", SECRET, "--janus-admin-port", str(ADMIN_PORT), "--janus-admin-ws-port",
             str(ADMIN_WS_PORT))


def let_the_token_in():
    """Before the call: nothing gets in without a stored token, nor into the Admin API
    without the secret; then the Admin API stores the call's token."""
    checks["refused_without_token"] = create_session(None).get("error", {}).get("code") == 403
    checks["admin_refused_without_secret"] = admin({"janus": "ping"}).get("error", {}).get("code") == 403
    added = admin({"janus": "add_token", "token": TOKEN, "admin_secret": SECRET})
    checks["token_added"] = added.get("janus") == "success"


with swiftsfu_call(SERVER, PORT, ROOM, result, fail, arguments=arguments, token=TOKEN,
                   after_start=let_the_token_in) as (server, driver):
    # The subscriber decoded: janus.js got in with the token added at run time.
    checks["janusjs_call_with_token"] = True
    sessions = admin({"janus": "list_sessions", "admin_secret": SECRET}).get("sessions", [])
    checks["sessions_listed"] = len(sessions)
    described = []
    for session in sessions:
        handles = admin({"janus": "list_handles", "admin_secret": SECRET, "session_id": session}).get("handles", [])
        for handle in handles:
            info = admin({"janus": "handle_info", "admin_secret": SECRET}, path=f"/admin/{session}/{handle}")
            described.append(info.get("info", {}).get("plugin_specific", {}).get("type"))
    checks["handles_described"] = sorted(t for t in described if t)
    refused, listed, level, status, back = admin_ws([
        {"janus": "list_sessions"},
        {"janus": "list_sessions", "admin_secret": SECRET},
        {"janus": "set_log_level", "level": 5, "admin_secret": SECRET},
        {"janus": "get_status", "admin_secret": SECRET},
        {"janus": "set_log_level", "level": 4, "admin_secret": SECRET},
    ])
    checks["ws_refused_without_secret"] = refused.get("error", {}).get("code") == 403
    checks["ws_sessions_listed"] = sorted(listed.get("sessions", [])) == sorted(sessions)
    checks["ws_log_level_set"] = level.get("level") == 5 and back.get("level") == 4
    checks["ws_status_log_level"] = status.get("status", {}).get("log_level")
    tokens = admin({"janus": "list_tokens", "admin_secret": SECRET}).get("data", {}).get("tokens", [])
    checks["tokens_listed"] = [t.get("token") for t in tokens]
    checks["token_removed"] = admin({"janus": "remove_token", "token": TOKEN, "admin_secret": SECRET}).get(
        "janus") == "success"
    checks["refused_after_removal"] = create_session(TOKEN).get("error", {}).get("code") == 403

ok = (checks.get("refused_without_token") and checks.get("admin_refused_without_secret") and checks.get("token_added")
      and checks.get("janusjs_call_with_token") and checks.get("sessions_listed", 0) >= 2
      and "publisher" in checks.get("handles_described", []) and "subscriber" in checks.get("handles_described", [])
      and checks.get("ws_refused_without_secret") and checks.get("ws_sessions_listed")
      and checks.get("ws_log_level_set") and checks.get("ws_status_log_level") == 5
      and checks.get("tokens_listed") == [TOKEN] and checks.get("token_removed") and checks.get("refused_after_removal")
      and result.get("server_exit") == 0)
print(json.dumps(result, indent=2))
sys.exit(0 if ok else 1)
