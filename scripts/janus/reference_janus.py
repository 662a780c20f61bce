"""Janus 1.1.2 from Debian as the reference server of the differential test: the VideoRoom
plugin and the WebSocket transport only, no STUN, inside the caller's network namespace.

Janus skips loopback interfaces when it gathers candidates, so `start` first gives the
namespace a veth pair with an address that exists only there (10.99.0.1).
"""

import os
import shutil
import subprocess
import tempfile
import time

import websocket

LIBRARIES = "/usr/lib/x86_64-linux-gnu/janus"
ADDRESS = "10.99.0.1"

JANUS_JCFG = """general: {
  configs_folder = "%(folder)s"
  plugins_folder = "%(libraries)s/plugins"
  transports_folder = "%(libraries)s/transports"
  events_folder = "%(libraries)s/events"
  loggers_folder = "%(libraries)s/loggers"
  debug_level = %(debug_level)d
  session_timeout = 60
}
media: {
}
nat: {
  ice_enforce_list = "sfu0"
}
plugins: {
  disable = "%(plugins)s"
}
transports: {
  disable = "%(transports)s"
}
events: {
  broadcast = false
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
"""

WEBSOCKETS_JCFG = """general: {
  json = "compact"
  ws = true
  ws_port = %(port)d
  %(ws_ip)s
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
"""


def add_private_address():
    """A veth pair inside this namespace with 10.99.0.1 on one end: the address Janus
    gathers on, reachable from nowhere else."""
    if subprocess.run(["ip", "link", "show", "sfu0"], capture_output=True).returncode == 0:
        return
    subprocess.run(["ip", "link", "add", "sfu0", "type", "veth", "peer", "name", "sfu1"], check=True)
    subprocess.run(["ip", "addr", "add", f"{ADDRESS}/24", "dev", "sfu0"], check=True)
    subprocess.run(["ip", "link", "set", "sfu0", "up"], check=True)
    subprocess.run(["ip", "link", "set", "sfu1", "up"], check=True)


class Janus:
    """`janus` with a configuration of its own on `port` (WebSocket), started at
    construction and answering, or raising."""

    def __init__(self, port, wrapper=(), debug_level=4, listen_everywhere=False):
        """`wrapper` goes before the command (`taskset -c 0`, say); the WebSocket is on
        127.0.0.1 only unless `listen_everywhere`."""
        add_private_address()
        self.folder = tempfile.mkdtemp(prefix="janus-reference-")
        plugins = sorted(name for name in os.listdir(f"{LIBRARIES}/plugins") if name != "libjanus_videoroom.so")
        transports = sorted(name for name in os.listdir(f"{LIBRARIES}/transports")
                            if name != "libjanus_websockets.so")
        with open(os.path.join(self.folder, "janus.jcfg"), "w") as config:
            config.write(JANUS_JCFG % {"folder": self.folder, "libraries": LIBRARIES,
                                       "plugins": ",".join(plugins), "transports": ",".join(transports),
                                       "debug_level": debug_level})
        with open(os.path.join(self.folder, "janus.transport.websockets.jcfg"), "w") as config:
            config.write(WEBSOCKETS_JCFG % {"port": port,
                                            "ws_ip": "" if listen_everywhere else 'ws_ip = "127.0.0.1"'})
        with open(os.path.join(self.folder, "janus.plugin.videoroom.jcfg"), "w") as config:
            config.write("general: {\n}\n")
        self.log = os.path.join(self.folder, "janus.log")
        self.process = subprocess.Popen(
            [*wrapper, "janus", "-F", self.folder, "-C", os.path.join(self.folder, "janus.jcfg"), "-L", self.log, "-N"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"ws://127.0.0.1:{port}/"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("janus exited: " + self.log_tail())
            try:
                websocket.create_connection(self.url, subprotocols=["janus-protocol"], timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("janus did not open its WebSocket port: " + self.log_tail())

    def log_tail(self):
        try:
            with open(self.log) as log:
                return log.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if not os.environ.get("JANUS_KEEP_LOG"):
            shutil.rmtree(self.folder, ignore_errors=True)
