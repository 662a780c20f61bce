"""A room created with Janus's `record: true`, as seed 002's call service creates its
rooms: a janus.js publisher in Chromium (VP8 and Opus from the fake camera and
microphone) and a subscriber, through SwiftSFU, for about 10 s; then the publisher hangs
up and the server stops. The recording must be one WebM file in `rec_dir` that plays:
ffprobe sees VP8 and Opus of 10 ± 1 s, and ffmpeg decodes every frame with libvpx and
libopus without an error. The server's webhooks tell `recording_started` and
`recording_finished` with the file, its duration and size.

With `kill` after the port, the server is killed (SIGKILL) 8 s into the call instead:
the file it leaves must still play, up to within 5 s of the kill. With `mjr`, the server writes Janus's `.mjr` files
too (`--recording-format both`): Debian's `janus-pp-rec` must turn each into a file
that plays, of 10 ± 1.5 s.

With `full`, `rec_dir` is on a tmpfs of 160 kB, which fills a few seconds into the
call: the recording must stop with a clear error (the `recording_finished` webhook's
`failure` says the disk is full, `sfu_recordings_failed_total` counts it), the file
written until then must play, and forwarding must not notice: the subscriber goes on
decoding without a freeze. (The script re-runs itself in a mount namespace of its own.)

With `simulcast`, the publisher sends janus.js's three simulcast encodings (its camera at
1280x720); 6 s in, its uplink is held to 400 kbit/s for 8 s, so that Chromium stops its
upper encodings, then freed for 8 s. The recording must go on in the stream that is
left (after its widest picture a narrower one, no gap in its video longer than 4 s) and
decode without an error; the steps it went through are reported (Chromium takes its
upper encodings back within seconds of the limit's end, or not).

With `screen`, the publisher adds a screen share (a canvas capture) as a second video
track on the same handle: its recording must be a WebM file of its own
(`…-video-<mid>.webm`, VP8 alone, 10 ± 1.5 s, decoding without an error) beside the
camera's and microphone's, and the webhooks must name both.

Usage (as root, inside a network namespace that has only `lo`): record.py SFU PORT [kill|mjr|full|simulcast|screen]
Prints one JSON object with the files, ffprobe's streams and the checks. Exits non-zero
when a check fails.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from janus_call import shape_media_ports, stats, swiftsfu_call, unshape  # noqa: E402
from janusjs_page import JANUS_JS  # noqa: E402
from recording_checks import Webhooks, decoding_errors, last_video_frame, number, probe  # noqa: E402

SERVER, PORT = sys.argv[1], int(sys.argv[2])
KILL = sys.argv[3:4] == ["kill"]
MJR = sys.argv[3:4] == ["mjr"]
FULL = sys.argv[3:4] == ["full"]
SIMULCAST = sys.argv[3:4] == ["simulcast"]
SCREEN = sys.argv[3:4] == ["screen"]
if FULL and not os.environ.get("RECORD_MOUNT_NAMESPACE"):
    # The small disk is mounted in a mount namespace of the script's own, gone with it.
    os.environ["RECORD_MOUNT_NAMESPACE"] = "1"
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable, *sys.argv])
ROOM = 6161
SECONDS = 8 if KILL else 22 if SIMULCAST else 10
result = {"checks": {}}


def fail(reason):
    result["failure"] = reason
    print(json.dumps(result))
    sys.exit(1)


if not os.path.exists(JANUS_JS):
    fail(f"{JANUS_JS} is missing: apt-get install libjs-janus-gateway")
webhooks = Webhooks(PORT + 400)
folder = tempfile.mkdtemp(prefix="swiftsfu-recordings-")
if FULL:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", folder], check=True)
rec_dir = os.path.join(folder, "call-1234")  # made by the server, as Janus makes rec_dir


with swiftsfu_call(SERVER, PORT, ROOM, result, fail, create={"record": True, "rec_dir": rec_dir}, simulcast=SIMULCAST,
                   publisher_query="&screen=1" if SCREEN else "",
                   arguments=("--webhook-url", f"http://127.0.0.1:{PORT + 400}/hooks",
                              *(("--recording-format", "both") if MJR else ()))) as (server, driver):
    if FULL:
        # The subscriber's frames each second; when the webhook told the failure.
        frames, failed_at = [], None
        for second in range(SECONDS):
            time.sleep(1)
            frames.append((stats(driver, driver.window_handles[1], "subscriber") or {}))
            if failed_at is None and any(h.get("failure") for h in webhooks.recording()):
                failed_at = second + 1
        result["subscriber"] = [{"frames": f.get("frames", 0), "freezes": f.get("freezes", 0)} for f in frames]
        result["failure_told_after"] = failed_at
        result["sfu_recordings_failed_total"] = server.metrics().get("sfu_recordings_failed_total")
    elif SIMULCAST:
        # The publisher's sent widths each second, through the limit and after.
        widths = []
        for second in range(SECONDS):
            if second == 6:
                shape_media_ports("400kbit", towards=True, leaf=("tbf", "rate", None, "burst", "16kb", "latency", "300ms"))
            if second == 14:
                unshape()
            time.sleep(1)
            widths.append((stats(driver, driver.window_handles[0], "publisher") or {}).get("width", 0))
        result["publisher_widths"] = widths
    else:
        time.sleep(SECONDS)
    if KILL:
        server.process.kill()
        server.process.wait()
    else:
        # The publisher's tab closes (its Janus session with it): its recording ends with
        # its tracks.
        driver.switch_to.window(driver.window_handles[0])
        driver.close()
        time.sleep(1)
files = sorted(glob.glob(os.path.join(rec_dir, "*")))
result["files"] = [{"name": os.path.basename(f), "bytes": os.path.getsize(f)} for f in files]
webm = [f for f in files if f.endswith(".webm") and "-video-" not in f]
screens = [f for f in files if f.endswith(".webm") and "-video-" in f]
checks = result["checks"]
# With .mjr files, janus-pp-rec's outputs land beside them later.
checks["one_webm"] = len(webm) == 1
if webm:
    info = probe(webm[0])
    result["probe"] = info
    codecs = sorted(s.get("codec_name") for s in info.get("streams", []))
    duration = number(info.get("format", {}).get("duration"))
    starts = {s.get("codec_name"): number(s.get("start_time")) for s in info.get("streams", [])}
    errors = decoding_errors(webm[0])
    result["decoding_errors"] = errors[-2000:]
    checks["codecs"] = codecs
    checks["duration"] = duration
    checks["start_offset"] = round(starts.get("opus", 0) - starts.get("vp8", 0), 3)
    checks["decodes_cleanly"] = errors == ""
    checks["named_as_janus"] = os.path.basename(webm[0]).startswith(f"videoroom-{ROOM}-user-")
if KILL:
    webhooks.close()
    played = last_video_frame(webm[0]) if webm else 0
    checks["seconds_played"] = played
    ok = checks.get("one_webm") and "vp8" in checks.get("codecs", []) and played >= SECONDS - 5
    print(json.dumps(result))
    sys.exit(0 if ok else 1)
if SCREEN:
    webhooks.close()
    finished = [h for h in webhooks.recording() if h["event"] == "recording_finished"]
    result["webhooks"] = finished
    if screens:
        screen = probe(screens[0])
        result["screen_probe"] = screen
        errors = decoding_errors(screens[0], "vp8", None)
        result["screen_decoding_errors"] = errors[-2000:]
        checks["screen_codecs"] = [s.get("codec_name") for s in screen.get("streams", [])]
        checks["screen_duration"] = number(screen.get("format", {}).get("duration"))
        checks["screen_decodes_cleanly"] = errors == ""
    checks["screen_file_of_its_own"] = (
        len(screens) == 1 and checks.get("screen_codecs") == ["vp8"] and checks.get("screen_decodes_cleanly", False)
        and abs(checks.get("screen_duration", 0) - SECONDS) <= 1.5
        and len(finished) == 1 and sorted(finished[0].get("files", [])) == sorted(webm + screens)
        and sorted(finished[0].get("codecs", [])) == ["opus", "vp8", "vp8"])
    ok = (checks["screen_file_of_its_own"] and checks.get("one_webm") and checks.get("codecs") == ["opus", "vp8"]
          and checks.get("decodes_cleanly") and result.get("server_exit") == 0)
    print(json.dumps(result))
    sys.exit(0 if ok else 1)
if SIMULCAST:
    webhooks.close()
    done = subprocess.run(["ffprobe", "-v", "quiet", "-select_streams", "v", "-show_entries", "frame=pts_time,width",
                           "-of", "csv=p=0", webm[0]], capture_output=True, text=True, timeout=120) if webm else None
    frames = [(float(t), int(w)) for t, w in (line.split(",")[:2] for line in (done.stdout if done else "").split()
                                             if line.count(",") >= 1)]
    times = [t for t, _ in frames]
    gaps = [b - a for a, b in zip(times, times[1:])]
    checks["longest_gap"] = round(max(gaps), 3) if gaps else None
    # The widths the file's video went through, each with when it started.
    steps = []
    for t, w in frames:
        if not steps or steps[-1][1] != w:
            steps.append((round(t, 2), w))
    checks["width_steps"] = steps
    longest = max(range(len(gaps)), key=lambda i: gaps[i]) if gaps else 0
    result["around_longest_gap"] = frames[max(0, longest - 3):longest + 4]
    widths = [w for _, w in steps]
    # The widest picture, then a narrower one after it, with no long gap between.
    top = widths.index(max(widths)) if widths else 0
    checks["went_down_and_on"] = (any(w < widths[top] for w in widths[top + 1:]) and checks["longest_gap"] is not None
                                  and checks["longest_gap"] <= 4.0)
    ok = (checks.get("one_webm") and checks.get("decodes_cleanly") and checks["went_down_and_on"]
          and result.get("server_exit") == 0)
    print(json.dumps(result))
    sys.exit(0 if ok else 1)
if FULL:
    webhooks.close()
    told = [h for h in webhooks.recording() if h["event"] == "recording_finished"]
    result["webhooks"] = told
    played = last_video_frame(webm[0]) if webm else 0
    checks["seconds_played"] = played
    after = result.get("failure_told_after") or SECONDS
    subscriber = result.get("subscriber", [])
    checks["failure_told"] = (len(told) == 1 and "No space left on device" in (told[0].get("failure") or "")
                              and after < SECONDS - 3 and result.get("sfu_recordings_failed_total") == 1)
    # After the failure, the subscriber decoded on, at least 10 frames a second, without
    # a freeze.
    grown = subscriber[-1]["frames"] - subscriber[after - 1]["frames"] if len(subscriber) == SECONDS else 0
    checks["frames_after_failure"] = grown
    checks["forwarding_unaffected"] = grown >= 10 * (SECONDS - after) and subscriber[-1]["freezes"] == 0
    subprocess.run(["umount", folder], check=False)
    ok = (checks["failure_told"] and checks["forwarding_unaffected"] and checks.get("one_webm") and played > 0.5
          and result.get("server_exit") == 0)
    print(json.dumps(result))
    sys.exit(0 if ok else 1)
if MJR:
    converted = {}
    for mjr in (f for f in files if f.endswith(".mjr")):
        kind = "video" if "-video-" in mjr else "audio"
        out = mjr[:-4] + (".webm" if kind == "video" else ".opus")
        done = subprocess.run(["janus-pp-rec", mjr, out], capture_output=True, text=True, timeout=120)
        info = probe(out) if os.path.exists(out) else {}
        streams = info.get("streams", [])
        converted[kind] = {"file": os.path.basename(mjr), "exit": done.returncode,
                           "codec": streams[0].get("codec_name") if streams else None,
                           "duration": float(info.get("format", {}).get("duration") or 0),
                           "errors": decoding_errors(out) if os.path.exists(out) else "missing"}
    result["janus_pp_rec"] = converted
    checks["mjr_converted"] = (
        sorted(converted) == ["audio", "video"]
        and converted["video"]["codec"] == "vp8" and converted["audio"]["codec"] == "opus"
        and all(c["exit"] == 0 and abs(c["duration"] - SECONDS) <= 1.5 for c in converted.values())
        and all(os.path.basename(f).startswith(f"videoroom-{ROOM}-user-") for f in files))
webhooks.close()
recording_hooks = webhooks.recording()
result["webhooks"] = recording_hooks
started = [h for h in recording_hooks if h["event"] == "recording_started"]
finished = [h for h in recording_hooks if h["event"] == "recording_finished"]
checks["webhooks_tell_the_file"] = (
    len(started) == 1 and len(finished) == 1 and bool(webm)
    and started[0].get("file") == webm[0] == finished[0].get("file")
    and sorted(finished[0].get("files", [])) == files
    and finished[0].get("bytes") == sum(os.path.getsize(f) for f in files)
    and abs(finished[0].get("durationSeconds", 0) - checks.get("duration", 0)) < 0.1
    and sorted(finished[0].get("codecs", [])) == ["opus", "vp8"])
ok = ((not MJR or checks.get("mjr_converted")) and checks.get("webhooks_tell_the_file") and checks.get("one_webm") and checks.get("codecs") == ["opus", "vp8"]
      and abs(checks.get("duration", 0) - SECONDS) <= 1.5 and checks.get("decodes_cleanly")
      and checks.get("named_as_janus") and result.get("server_exit") == 0)
print(json.dumps(result))
sys.exit(0 if ok else 1)
