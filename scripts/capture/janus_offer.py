"""Prints the SDP offer Janus makes to a viewer of its Streaming plugin's sample mountpoint
(id 1: Opus + VP8), over Janus's HTTP API. Janus must already run with its default
configuration on 127.0.0.1:8088; scripts/capture/janus_offer.sh starts it inside a
network namespace of its own and calls this.
"""
import json
import sys
import time
import urllib.request

BASE = "http://127.0.0.1:8088/janus"


def call(path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main() -> None:
    for _ in range(50):
        try:
            session = call("", {"janus": "create", "transaction": "c"})["data"]["id"]
            break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit("janus did not answer on " + BASE)
    handle = call(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.streaming", "transaction": "a"})["data"]["id"]
    call(f"/{session}/{handle}", {"janus": "message", "transaction": "w", "body": {"request": "watch", "id": 1}})
    for _ in range(20):
        event = call(f"/{session}?maxev=1")
        if "jsep" in event:
            print(event["jsep"]["sdp"], end="")
            return
    sys.exit("no offer from janus")


main()
