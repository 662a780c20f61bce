"""janusjs_page.html and Debian's janus.js, served from a directory of their own on a
port of their own, so that the page uses the server's transports cross-origin as a web
application would."""

import functools
import http.server
import os
import shutil
import tempfile
import threading

JANUS_JS = "/usr/share/javascript/janus-gateway/janus.js"


def serve_janusjs_page(port):
    """Serves index.html (the page) and janus.js on 127.0.0.1:`port`; returns the
    server, for `shutdown()`."""
    directory = tempfile.mkdtemp(prefix="janusjs-")
    shutil.copy(JANUS_JS, os.path.join(directory, "janus.js"))
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "janusjs_page.html"),
                os.path.join(directory, "index.html"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=directory))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
