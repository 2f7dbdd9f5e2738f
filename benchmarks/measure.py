"""Wall time and peak RSS of a child process, measured so that the benchmark's own memory does not count.

A child's `ru_maxrss` starts at its parent's peak: fork copies the parent's memory map and exec keeps its high-water
mark. Started straight from a benchmark that holds a 1M-text corpus, a `prep run` reads 1.5 GiB before it does
anything. So the child is started by a small launcher process (a fresh interpreter, about 10 MiB), and the
launcher reports the child's own peak from `wait4`.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as result:
    result.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(command: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, float]:
    """Run `command`; wall seconds and the child's peak RSS in MiB. Exits with its stderr if it fails."""
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "result"
        start = time.perf_counter()
        process = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(result), *command], stdout=stdout,
                                 stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        code, peak = (int(value) for value in result.read_text().split()) if result.exists() else (1, 0)
    if process.returncode or code:
        raise SystemExit(f"{command[:3]} failed:\n{process.stderr[-3000:]}")
    return wall, peak / 1024
