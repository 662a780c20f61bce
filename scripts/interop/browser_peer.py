"""A browser as the publisher and subscribers of one interop-matrix cell: headless
Chromium (through chromedriver) or Firefox ESR (over WebDriver BiDi) runs
browser_peer.html, which publishes the fake camera and microphone with janus.js or
/sfu-client.js and subscribes with as many sessions and peer connections.

usage: browser_peer.py -browser chromium|firefox -face janus|native -url URL -client URL
       -mode sequential|concurrent -subscribers N [-limit SECONDS] [-frames N] [-page-port PORT]
Prints the cell's report as one JSON line, with the same keys as the other peers'.
"""

import argparse
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
from harness import Firefox, chromium  # noqa: E402

JANUS_JS = "/usr/share/javascript/janus-gateway/janus.js"

parser = argparse.ArgumentParser()
parser.add_argument("-browser", default="chromium")
parser.add_argument("-face", default="janus")
parser.add_argument("-url", required=True)
parser.add_argument("-client", required=True, help="the server's /sfu-client.js")
parser.add_argument("-mode", default="sequential")
parser.add_argument("-subscribers", type=int, default=20)
parser.add_argument("-limit", type=float, default=20)
parser.add_argument("-frames", type=int, default=10)
parser.add_argument("-page-port", type=int, default=8700)
options = parser.parse_args()


def serve_page():
    """The page, janus.js and the server's client module from one folder, so that the
    page uses the server's transports cross-origin as a web application would."""
    folder = tempfile.mkdtemp(prefix="sfu-browser-peer-")
    shutil.copy(JANUS_JS, os.path.join(folder, "janus.js"))
    shutil.copy(os.path.join(HERE, "browser_peer.html"), os.path.join(folder, "index.html"))
    with urllib.request.urlopen(options.client, timeout=5) as reply, \
            open(os.path.join(folder, "sfu-client.js"), "wb") as module:
        module.write(reply.read())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *arguments):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", options.page_port),
                                            functools.partial(Quiet, directory=folder))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, folder


class Chromium:
    def __init__(self):
        self.driver = chromium()

    def navigate(self, url):
        self.driver.get(url)

    def evaluate(self, expression):
        return self.driver.execute_script(f"return JSON.stringify({expression})")

    def close(self):
        self.driver.quit()


def run():
    report = {"face": options.face, "mode": options.mode, "published": False, "tried": options.subscribers,
              "connected": 0, "receiving": 0, "failures": []}
    httpd, folder = serve_page()
    browser = None
    try:
        browser = Chromium() if options.browser == "chromium" else Firefox()
        browser.navigate(f"http://127.0.0.1:{options.page_port}/")
        deadline = time.monotonic() + 20
        while browser.evaluate("window.pageReady === true") not in ("true", True):
            if time.monotonic() > deadline:
                raise RuntimeError("the page did not load")
            time.sleep(0.2)
        cell = {"face": options.face, "url": options.url, "mode": options.mode, "subscribers": options.subscribers,
                "limit": options.limit * 1000, "frames": options.frames}
        browser.evaluate(f"(window.cellReport = null, window.runCell({json.dumps(cell)})"
                         ".then((r) => { window.cellReport = r; }), 0)")
        deadline = time.monotonic() + options.limit * (options.subscribers + 3)
        while time.monotonic() < deadline:
            value = browser.evaluate("window.cellReport")
            value = json.loads(value) if isinstance(value, str) else value
            if value:
                report = value
                break
            time.sleep(0.5)
        else:
            report["failures"].append("the cell did not finish in time")
    except Exception as error:
        report["failures"].append(f"{options.browser}: {type(error).__name__}: {error}")
    finally:
        if browser is not None:
            browser.close()
        httpd.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    times = sorted(report.pop("connect_ms", []) or [0])
    report["connect_ms_p50"], report["connect_ms_max"] = times[len(times) // 2], times[-1]
    return report


print(json.dumps(run()), flush=True)
