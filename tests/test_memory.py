"""release_free_memory gives the free pages inside glibc's heap back, as a dropped FAISS IVF index leaves them."""

import os
import subprocess
import sys

import pytest

PROBE = """
import ctypes, re, sys
from pathlib import Path
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.free.argtypes, libc.memset.argtypes = ctypes.c_void_p, [ctypes.c_void_p], \\
    [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) // 1024
blocks = [libc.malloc(64 << 10) for _ in range(3200)]  # 200 MiB in heap blocks, as an IVF index's lists are
for block in blocks:
    libc.memset(block, 1, 64 << 10)
for block in blocks[:-1]:  # the last stays live, at the top: free() alone can trim only the top of the heap
    libc.free(block)
before = rss()
if sys.argv[1] == "release":
    from pipeline.memory import release_free_memory
    release_free_memory()
print(before - rss())
"""


def on_glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        return False


@pytest.mark.skipif(not on_glibc(), reason="glibc's allocator")
@pytest.mark.parametrize(("mode", "released"), [("keep", False), ("release", True)])
def test_free_heap_pages_stay_resident_until_released(mode, released):
    freed = int(subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                               check=True).stdout)
    assert (freed >= 150) is released  # MiB of the 200 freed that left the process


POLARS_PROBE = """
import re, sys
from pathlib import Path
sys.argv = ["prep", sys.argv[1]]
import pipeline.cli  # as the `prep` command starts: before Polars loads
import polars as pl
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) // 1024
frame = pl.DataFrame({"text": pl.int_range(3_000_000, eager=True).cast(pl.String).str.pad_start(64, "x")})
held = rss()
del frame
print(held - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmRSS of /proc")
@pytest.mark.parametrize(("command", "conf", "returned"), [
    ("run", None, True),  # 229 MiB back at once here
    ("report", None, False),  # Polars' own setting: freed pages stay resident (and reuse is faster)
    ("run", "dirty_decay_ms:-1", False),  # a value the user set is kept
])
def test_prep_run_has_polars_return_freed_pages_at_once(command, conf, returned):
    freed = _freed_by(command, conf)
    assert (freed > 150) is returned, f"{freed} MiB returned"


def _freed_by(command: str, malloc_conf: str | None) -> int:
    """MiB that a `prep COMMAND` process gives back at once when it drops a 229 MiB frame, with this
    _RJEM_MALLOC_CONF in its environment (None: unset)."""
    env = {key: value for key, value in os.environ.items() if key != "_RJEM_MALLOC_CONF"}
    env |= {"_RJEM_MALLOC_CONF": malloc_conf} if malloc_conf else {}
    return int(subprocess.run([sys.executable, "-c", POLARS_PROBE, command], capture_output=True, text=True,
                              check=True, env=env).stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmRSS of /proc")
@pytest.mark.parametrize(("override", "returned"), [("", True), (",dirty_decay_ms:-1", False)])
def test_polars_own_setting_inherited_from_a_parent_that_imported_polars_is_not_the_users(override, returned):
    """A script or notebook that imported Polars and then starts `prep run` passes on the value `import polars`
    wrote into its environment: Polars' own setting (with the user's, if any, after it), which `prep run` replaces
    where it holds nothing of the user's."""
    env = {key: value for key, value in os.environ.items() if key != "_RJEM_MALLOC_CONF"}
    env |= {"_RJEM_MALLOC_CONF": override[1:]} if override else {}
    written = subprocess.run([sys.executable, "-c", "import os, polars; print(os.environ['_RJEM_MALLOC_CONF'])"],
                             capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert written.endswith(override)
    freed = _freed_by("run", written)
    assert (freed > 150) is returned, f"{freed} MiB returned"
