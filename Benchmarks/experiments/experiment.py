"""What every experiment's run.py needs: compare.py's link and cores (importable once
this module is), its C programs built, and a core's busy time as the benchmark reads it."""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import compare  # noqa: E402,F401  (re-exported for the experiments)
from reference_janus import ADDRESS  # noqa: E402,F401


def build(folder, *names, libraries=()):
    """Each `name.c` of the experiment in `folder`, compiled into a fresh directory, whose
    path is returned; linked with `libraries` (names as `-l` takes them)."""
    built = tempfile.mkdtemp()
    for name in names:
        subprocess.run(["cc", "-O2", f"-I{HERE}", "-o", f"{built}/{name}", f"{folder}/{name}.c",
                        *(f"-l{library}" for library in libraries)], check=True)
    return built


def busy_nanoseconds(core):
    """The core's time since boot less its idle, I/O-wait and stolen time (what
    `sfu-load --server-core` reads, CoreSample.swift)."""
    now = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    with open("/proc/stat") as stat:
        for line in stat:
            fields = line.split()
            if fields[0] == f"cpu{core}":
                ticks = [int(value) for value in fields[1:]]
                return now - (ticks[3] + ticks[4] + ticks[7]) * (1_000_000_000 // os.sysconf("SC_CLK_TCK"))
    raise RuntimeError(f"no cpu{core} in /proc/stat")


def core_window(processes, seconds, settle=3.0, after=0.0):
    """Core 0's busy nanoseconds and the window's (start, end) monotonic times: `settle`
    seconds after `processes` started, over `seconds`; the processes are killed `after`
    seconds past the window, whatever happened."""
    try:
        time.sleep(settle)
        before, start = busy_nanoseconds(compare.SERVER_CORE), time.monotonic()
        time.sleep(seconds)
        busy, end = busy_nanoseconds(compare.SERVER_CORE) - before, time.monotonic()
        time.sleep(after)
    finally:
        for process in processes:
            if process:
                process.kill()
                process.wait()
    return busy, start, end
