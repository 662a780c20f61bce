"""What the browser and interop scripts share: the `sfu` server as a child process, its
HTTP endpoints, polling with a limit, and the two browsers (Chromium through
chromedriver, Firefox through its own WebDriver BiDi endpoint: Debian has no
geckodriver).

Run inside a network namespace that has only `lo`.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import websocket


class Server:
    """The `sfu` executable on `port`, started at construction, healthy or raising.
    `wrapper` goes before the command (`taskset -c 0`, say); with `log` (a path) the
    output goes to that file rather than a pipe, for long runs. `/admin/*` needs the
    administration secret, made here and sent with every `get`."""

    def __init__(self, executable, port, *arguments, wrapper=(), log=None):
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(log, "w") if log else None
        self.admin_secret = secrets.token_hex(16)
        self.process = subprocess.Popen(
            [*wrapper, executable, "--port", str(port), "--workers", "1", "--log-level", "notice", "--janus-ws-port",
             "0", "--janus-http-port", "0", "--admin-secret", self.admin_secret, "--janus-admin-port", "0",
             "--janus-admin-ws-port", "0", *arguments],
            stdout=self.log or subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def healthy():
            try:
                return json.loads(self.get("/health"))["status"] == "healthy"
            except OSError:
                return self.process.poll() is not None

        if not wait_until(healthy, 20) or self.process.poll() is not None:
            raise RuntimeError("the server did not answer /health")

    def get(self, path):
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.admin_secret}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()

    def metrics(self):
        """Every `sfu_` sample of /metrics by its name with labels."""
        values = {}
        for line in self.get("/metrics").splitlines():
            if line.startswith("sfu_"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def stop(self):
        """SIGTERM; returns the exit status (None when it had to be killed) and the log tail
        (of a crash, from its first line: the reason and the crashed thread's frames)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        if self.log:
            self.log.close()
            with open(self.log.name) as log:
                return code, log_tail(log.read())
        return code, log_tail(self.process.stdout.read())


def log_tail(log):
    """The last 2,000 characters of a server's log, or 4,000 from where it says it crashed."""
    crash = min((index for index in (log.find("Fatal error"), log.find("Program crashed")) if index >= 0),
                default=-1)
    return log[crash:crash + 4000] if crash >= 0 else log[-2000:]


def udp_ports(pid):
    """The UDP ports process `pid`'s own sockets are bound to (the server's media ports)."""
    inodes = set()
    for descriptor in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].split(":")[1], 16))
    return sorted(ports)


def open_demo_participants(driver, base, room, count, camera="640x360"):
    """`count` demo-page participants of `room` in tabs of `driver`, each joining with the
    fake camera at `camera`; returns the tabs' handles."""
    tabs = []
    for index in range(count):
        if index > 0:
            driver.switch_to.new_window("tab")
        driver.get(f"{base}/?room={room}&name=P{index}&autojoin=1&camera={camera}")
        tabs.append(driver.current_window_handle)
    return tabs


def wait_until(predicate, limit, every=0.25):
    """The first truthy value of `predicate` within `limit` seconds, else None."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def chromium():
    """Headless Chromium with a fake camera and microphone, through chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows", "--window-size=800,600"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(10)
    return driver


class Firefox:
    """Headless Firefox with fake media and loopback ICE candidates, driven over WebDriver
    BiDi (`--remote-debugging-port`) with plain WebSocket messages."""

    PREFERENCES = {
        "media.navigator.streams.fake": True,
        "media.navigator.permission.disabled": True,
        "media.peerconnection.ice.loopback": True,
        "media.peerconnection.ice.obfuscate_host_addresses": False,
        # Without a route to the Internet there is no "default" address; gather on all.
        "media.peerconnection.ice.default_address_only": False,
        "media.autoplay.default": 0,
        "remote.active-protocols": 1,
        "app.update.disabledForTesting": True,
        "browser.shell.checkDefaultBrowser": False,
        "datareporting.policy.dataSubmissionEnabled": False,
    }

    def __init__(self, port=9333, executable="firefox-esr"):
        self.profile = tempfile.mkdtemp(prefix="sfu-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as prefs:
            for name, value in self.PREFERENCES.items():
                prefs.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        self.process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--profile", self.profile,
             "--remote-debugging-port", str(port), "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ids = 0

        def connect():
            try:
                return websocket.create_connection(f"ws://127.0.0.1:{port}/session", timeout=15,
                                                   suppress_origin=True)
            except OSError:
                return None

        self.socket = wait_until(connect, 30)
        if self.socket is None:
            self.close()
            raise RuntimeError("Firefox did not open its WebDriver BiDi endpoint")
        self.call("session.new", {"capabilities": {}})
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]

    def call(self, method, params):
        self.ids += 1
        self.socket.send(json.dumps({"id": self.ids, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.ids:
                if message.get("type") == "error":
                    raise RuntimeError(f"{method}: {message.get('error')}: {message.get('message')}")
                return message["result"]

    def navigate(self, url):
        self.call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression):
        """Evaluates `expression` (a promise is awaited) and returns its value through
        JSON."""
        result = self.call("script.evaluate", {
            "expression": f"Promise.resolve({expression}).then((value) => JSON.stringify(value))",
            "target": {"context": self.context}, "awaitPromise": True})
        if result.get("type") == "exception":
            raise RuntimeError(result["exceptionDetails"].get("text"))
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def close(self):
        try:
            if getattr(self, "socket", None) is not None:
                self.call("session.end", {})
        except Exception:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
