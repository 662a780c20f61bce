"""The differential test of the Janus face: the seed-002 protocol replay
(protocol_replay.py) against a real Janus 1.1.2 and against SwiftSFU, in one network
namespace, and the shapes of their replies compared step by step (ids, names and SDP
bodies aside). Where SwiftSFU differs on purpose, DECLARED says so and why.

Usage (inside a network namespace that has only `lo`): differential.py SFU PORT
Prints one JSON object; exits non-zero when a step differs without a declared reason.
"""

import asyncio
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Server  # noqa: E402
from protocol_replay import replay, shape  # noqa: E402
from reference_janus import ADDRESS, Janus, add_private_address  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])

# Steps where SwiftSFU answers differently on purpose.
DECLARED = {
    "info": "server_info describes SwiftSFU's build, transports and plugin, not Janus's",
    "implicit: create room (seed)": "requests without session_id/handle_id: Janus answers 457, SwiftSFU serves "
                                    "them on the connection's implicit session (docs/janus.md)",
    "implicit: join publisher (seed)": "as above",
}

# Messages Janus 1.1.2 sends or leaves out depending on how far its own threads got:
# left out of its transcript before the comparison.
RACY = {
    # Detaching a subscriber whose offer was never answered: Janus says `hangup`
    # "Detach" first only when its ICE thread still holds the peer connection (about
    # one run in four here).
    "detach": lambda message: message.get("janus") == "hangup" and message.get("reason") == "Detach",
}


def without_racy(entry):
    """The entry's shapes, with the messages RACY allows for its step left out."""
    racy = RACY.get(entry["step"])
    if racy is None:
        return entry["shapes"]
    shapes = []
    for message in entry["messages"]:
        if not racy(message) and shape(message) not in shapes:
            shapes.append(shape(message))
    return sorted(shapes, key=json.dumps)


def main():
    add_private_address()
    result = {"checks": {}}
    janus = Janus(8188)
    server = Server(SERVER, PORT, "--janus-ws-port", str(PORT + 100), "--media-address", ADDRESS)
    try:
        transcripts = {
            "janus": asyncio.run(replay(janus.url)),
            "swiftsfu": asyncio.run(replay(f"ws://127.0.0.1:{PORT + 100}/")),
        }
    finally:
        janus.stop()
        code, log = server.stop()
        result["server_exit"] = code
        if code != 0:
            result["server_log"] = log
    reference = {entry["step"]: entry for entry in transcripts["janus"]}
    ours = {entry["step"]: entry for entry in transcripts["swiftsfu"]}
    unexpected, declared = [], {}
    for step, entry in reference.items():
        mine = ours.get(step)
        if mine is not None and mine["shapes"] == without_racy(entry):
            continue
        if step in DECLARED:
            declared[step] = DECLARED[step]
            continue
        unexpected.append({"step": step, "janus": entry["shapes"], "swiftsfu": mine and mine["shapes"]})
    result["steps"] = len(reference)
    result["same_shape"] = len(reference) - len(unexpected) - len(declared)
    result["declared"] = declared
    result["unexpected"] = unexpected

    def plugin_data(transcript, step):
        for message in next(e for e in transcript if e["step"] == step)["messages"]:
            if "plugindata" in message:
                return message["plugindata"]["data"]
        return None

    def error_code(transcript, step):
        for message in next(e for e in transcript if e["step"] == step)["messages"]:
            if message.get("janus") == "error":
                return message["error"]["code"]
        return None

    checks = result["checks"]
    checks["swiftsfu_implicit_join"] = (plugin_data(transcripts["swiftsfu"], "implicit: join publisher (seed)")
                                        or {}).get("videoroom")
    checks["janus_implicit_join_error"] = error_code(transcripts["janus"], "implicit: join publisher (seed)")
    checks["swiftsfu_subscriber_attached"] = (plugin_data(transcripts["swiftsfu"], "join subscriber with feed (seed)")
                                              or {}).get("videoroom")
    checks["janus_subscriber_attached"] = (plugin_data(transcripts["janus"], "join subscriber with feed (seed)")
                                           or {}).get("videoroom")
    if os.environ.get("JANUS_DIFF_VERBOSE"):
        result["transcripts"] = transcripts
    print(json.dumps(result))
    for difference in unexpected:
        print(f"differs: {json.dumps(difference)}", file=sys.stderr)
    sys.exit(1 if unexpected or result["server_exit"] != 0 else 0)


main()
