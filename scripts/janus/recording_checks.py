"""What the recording scripts check in a recorded file (ffprobe's streams, ffmpeg's
decoding errors, the last video frame that decodes) and how they hear the server's
webhooks."""

import http.server
import json
import subprocess
import threading

# The decoder ffmpeg must decode each recorded codec with: libvpx and libopus, as the
# issue asks, and ffmpeg's own H.264 decoder.
DECODERS = {"vp8": "libvpx", "vp9": "libvpx-vp9", "h264": "h264", "opus": "libopus", "av1": "libdav1d"}


def probe(path):
    """ffprobe's streams (codec, start, duration) and the file's duration."""
    output = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                             "stream=codec_name,start_time,duration:format=duration", "-of", "json", path],
                            capture_output=True, text=True, timeout=60)
    return json.loads(output.stdout or "{}")


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def last_video_frame(path):
    """The time of the last video frame that decodes, in seconds."""
    done = subprocess.run(["ffprobe", "-v", "quiet", "-select_streams", "v", "-show_entries", "frame=pts_time",
                           "-of", "csv=p=0", path], capture_output=True, text=True, timeout=120)
    times = [float(line) for line in done.stdout.split() if line.strip()]
    return max(times) if times else 0


def decoding_errors(path, video="vp8", audio="opus"):
    """What ffmpeg says when it decodes every frame of `path` with the decoders of its
    `video` and `audio` codecs (None: that stream is absent)."""
    decoders = []
    if video:
        decoders += ["-c:v", DECODERS[video]]
    if audio:
        decoders += ["-c:a", DECODERS[audio]]
    done = subprocess.run(["ffmpeg", "-v", "error", *decoders, "-i", path, "-f", "null", "-"],
                          capture_output=True, text=True, timeout=120)
    # The null muxer takes video in a time base of one frame interval, so two frames less
    # than an interval apart (a recording's times follow the sender's clock; a key frame
    # is written a millisecond after the frame before it rather than left out) make it
    # complain of their order. That is not a decoding error: those lines are left out.
    lines = (done.stderr + done.stdout).strip().splitlines()
    return "\n".join(line for line in lines if "non monotonically increasing dts to muxer" not in line)


def examine(path, video, audio="opus"):
    """A recorded file's checks: its codecs, duration, audio start after video, decoding
    errors (the last 2,000 characters)."""
    info = probe(path)
    streams = info.get("streams", [])
    starts = {s.get("codec_name"): number(s.get("start_time")) for s in streams}
    errors = decoding_errors(path, video, audio)
    return {"file": path, "codecs": sorted(s.get("codec_name") for s in streams),
            "duration": number(info.get("format", {}).get("duration")),
            "start_offset": round(starts.get(audio, 0) - starts.get(video, 0), 3) if video else 0,
            "decodes_cleanly": errors == "", "decoding_errors": errors[-2000:]}


class Webhooks:
    """An HTTP receiver on 127.0.0.1:`port` that keeps every webhook the server posts."""

    def __init__(self, port):
        received = self.received = []

        class Hooks(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hooks)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def recording(self):
        """The recording webhooks received so far."""
        return [h for h in self.received if h.get("event", "").startswith("recording_")]

    def close(self):
        self.server.shutdown()
