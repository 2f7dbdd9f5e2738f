"""Seconds and peak resident memory per stage of a run, for the manifest."""

import re
import resource
import sys
import time
from pathlib import Path


class StageClock:
    """Seconds per stage, and the process's peak RSS (MiB) at the end of each: where memory grows with the input."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.peak_rss: dict[str, int] = {}
        self.start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.start, 3)
        self.peak_rss[stage] = peak_rss_mib()
        self.start = now


def peak_rss_mib() -> int:
    """This process's peak resident memory in MiB: Linux's VmHWM, which starts afresh at exec. (`ru_maxrss` does
    not: a child started from a large process inherits the parent's peak at the fork, so small runs read large.)"""
    status = Path("/proc/self/status")
    if status.exists():
        return round(int(re.search(r"VmHWM:\s+(\d+) kB", status.read_text()).group(1)) / 1024)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 1024))
