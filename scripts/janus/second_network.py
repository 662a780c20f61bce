"""A second network namespace for a browser whose address changes mid-call.

The test's own namespace (A, only `lo`) holds the server; `SecondNetwork` makes another
(B) joined to A by a veth pair (10.99.0.1 in A, 10.99.0.2 in B), and a headless Chromium
that lives in B: its WebRTC traffic can only take the veth pair, whose address in B
`change_address` replaces, as a laptop's address changes when it leaves Wi-Fi for LTE.
What must survive the change (the page, janus.js's signaling, chromedriver's commands)
goes over loopback relays instead: a socket made in one namespace and connected in the
other, so that only media sees the change. Both namespaces are made by the test and
carry nothing else. Needs root.
"""

import contextlib
import ctypes
import os
import socket
import subprocess
import threading
import time

from harness import wait_until

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)
SERVER_ADDRESS = "10.99.0.1"
FIRST_ADDRESS = "10.99.0.2"
SECOND_ADDRESS = "10.99.0.3"


def socket_in(namespace):
    """A TCP socket of the network namespace at path `namespace` (the calling thread
    enters it only for the socket's creation)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(namespace, os.O_RDONLY)
    try:
        if LIBC.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into the second network")
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if LIBC.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(target)


def pump(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for each in (source, sink):
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)


def relay(listen_namespace, listen_port, connect_namespace, connect_port):
    """Connections to 127.0.0.1:`listen_port` in one namespace become connections to
    127.0.0.1:`connect_port` in the other; returns the listening socket (close it to
    stop)."""
    listener = socket_in(listen_namespace)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(64)

    def accept():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket_in(connect_namespace)
            try:
                upstream.connect(("127.0.0.1", connect_port))
            except OSError:
                client.close()
                upstream.close()
                continue
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


class SecondNetwork:
    """Namespace B, its veth pair to this namespace, relays of `ports` (TCP on loopback,
    from B to this namespace) and, with `browser()`, a Chromium in B."""

    def __init__(self, ports):
        self.holder = subprocess.Popen(["unshare", "--net", "sleep", "3600"])
        self.namespace = f"/proc/{self.holder.pid}/ns/net"
        self.own = f"/proc/{os.getpid()}/ns/net"
        # unshare has made B once the holder's namespace is not ours.
        if not wait_until(lambda: os.stat(self.namespace).st_ino != os.stat(self.own).st_ino, 5, every=0.05):
            raise RuntimeError("the second network namespace was not made")
        self.address = FIRST_ADDRESS
        self.ip("link", "add", "sfu-a", "type", "veth", "peer", "name", "sfu-b", "netns", str(self.holder.pid))
        self.ip("addr", "add", f"{SERVER_ADDRESS}/24", "dev", "sfu-a")
        self.ip("link", "set", "sfu-a", "up")
        self.ip_b("link", "set", "lo", "up")
        self.ip_b("addr", "add", f"{FIRST_ADDRESS}/24", "dev", "sfu-b")
        self.ip_b("link", "set", "sfu-b", "up")
        self.listeners = [relay(self.namespace, port, self.own, port) for port in ports]
        self.driver = None
        self.chromedriver = None

    @staticmethod
    def ip(*arguments):
        subprocess.run(["ip", *arguments], check=True, capture_output=True)

    def ip_b(self, *arguments):
        subprocess.run(["nsenter", f"--net={self.namespace}", "ip", *arguments], check=True, capture_output=True)

    def change_address(self):
        """B's veth address becomes another: what was bound to the old one is cut off."""
        self.ip_b("addr", "del", f"{self.address}/24", "dev", "sfu-b")
        self.address = SECOND_ADDRESS if self.address == FIRST_ADDRESS else FIRST_ADDRESS
        self.ip_b("addr", "add", f"{self.address}/24", "dev", "sfu-b")

    def browser(self, driver_port=9600):
        """Headless Chromium in B with a fake camera, through a chromedriver in B whose
        port is relayed to this namespace. It gathers candidates on B's veth only (not
        on loopback), with real addresses (no mDNS names)."""
        from selenium import webdriver

        self.chromedriver = subprocess.Popen(
            ["nsenter", f"--net={self.namespace}", "/usr/bin/chromedriver", f"--port={driver_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.listeners.append(relay(self.own, driver_port, self.namespace, driver_port))

        def ready():
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", driver_port), timeout=1) as s:
                s.sendall(f"GET /status HTTP/1.1\r\nHost: 127.0.0.1:{driver_port}\r\n\r\n".encode())
                return b"ready" in s.recv(4096)
            return False

        if not wait_until(ready, 15):
            raise RuntimeError("chromedriver in the second network did not start")
        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--disable-features=WebRtcHideLocalIpsWithMdns",
                     "--autoplay-policy=no-user-gesture-required", "--disable-background-timer-throttling",
                     "--disable-renderer-backgrounding", "--window-size=800,600"]:
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{driver_port}", options=options)
        self.driver.set_script_timeout(10)
        return self.driver

    def close(self):
        if self.driver is not None:
            with contextlib.suppress(Exception):
                self.driver.quit()
        if self.chromedriver is not None:
            self.chromedriver.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.chromedriver.wait(timeout=5)
        for listener in self.listeners:
            listener.close()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.ip("link", "del", "sfu-a")
        self.holder.kill()
        self.holder.wait()
        time.sleep(0.1)
